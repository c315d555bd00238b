"""Records pipeline-core/src/test/resources/schedulers/scheduler_refs.json.gz (118 scheduler cases) and
custom_timesteps.json.gz (custom `timesteps` / `sigmas` schedules and the errors diffusers raises) with the real
diffusers 0.30.3. See README.md and schedulers/README.md.

    /usr/bin/python3 scripts/reference/gen_schedulers.py --out OUT      # writes OUT/schedulers/
"""
import refenv

# recorded with the OpenBLAS kernel an AVX-512 machine picks by default (see refenv.setup): only UniPC solver_order 3
# (torch.linalg.solve) depends on it, by up to 2e-6 with Haswell
torch = refenv.setup(openblas_coretype="SkylakeX")

import argparse  # noqa: E402
import base64  # noqa: E402
import gzip  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402

import numpy as np  # noqa: E402

import diffusers  # noqa: E402
from diffusers import (  # noqa: E402
    DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler, EulerAncestralDiscreteScheduler, EulerDiscreteScheduler,
    HeunDiscreteScheduler, LCMScheduler, LMSDiscreteScheduler, PNDMScheduler, UniPCMultistepScheduler)
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import retrieve_timesteps  # noqa: E402

from refrec import log  # noqa: E402

SHAPE = (2, 4, 4, 4)
BASE_COUNTS = [1, 2, 3, 4, 5, 7, 10, 20, 25, 50, 15, 30, 100, 1000, 1001]  # the `_defaults` / `_sd15` cases
VARIANT_COUNTS = [1, 2, 3, 4, 5, 7, 10, 20, 25, 50, 1001]
TRAINED_BETAS = [(i + 1) * 0.001 for i in range(100)]
INPUTS = ("sample0 = randn(shape, Generator().manual_seed(1000)) * init_noise_sigma; model_output[k] = randn(shape, seed 2000+k); "
          "one Generator().manual_seed(3000) passed to every step() that takes a generator; add_noise: original seed 4000, "
          "noise seed 4001")

# (name, class, from the tiny-sd pipeline config?, kwargs, trajectory steps, eta)
SCHEDULER_CASES = [
    ('DDIMScheduler_defaults', DDIMScheduler, False, {}, 5, 0.0),
    ('DDIMScheduler_sd15', DDIMScheduler, True, {}, 6, 0.0),
    ('PNDMScheduler_defaults', PNDMScheduler, False, {}, 5, 0.0),
    ('PNDMScheduler_sd15', PNDMScheduler, True, {}, 6, 0.0),
    ('DDPMScheduler_defaults', DDPMScheduler, False, {}, 5, 0.0),
    ('DDPMScheduler_sd15', DDPMScheduler, True, {}, 6, 0.0),
    ('EulerDiscreteScheduler_defaults', EulerDiscreteScheduler, False, {}, 5, 0.0),
    ('EulerDiscreteScheduler_sd15', EulerDiscreteScheduler, True, {}, 6, 0.0),
    ('EulerAncestralDiscreteScheduler_defaults', EulerAncestralDiscreteScheduler, False, {}, 5, 0.0),
    ('EulerAncestralDiscreteScheduler_sd15', EulerAncestralDiscreteScheduler, True, {}, 6, 0.0),
    ('LMSDiscreteScheduler_defaults', LMSDiscreteScheduler, False, {}, 5, 0.0),
    ('LMSDiscreteScheduler_sd15', LMSDiscreteScheduler, True, {}, 6, 0.0),
    ('HeunDiscreteScheduler_defaults', HeunDiscreteScheduler, False, {}, 5, 0.0),
    ('HeunDiscreteScheduler_sd15', HeunDiscreteScheduler, True, {}, 6, 0.0),
    ('DPMSolverMultistepScheduler_defaults', DPMSolverMultistepScheduler, False, {}, 5, 0.0),
    ('DPMSolverMultistepScheduler_sd15', DPMSolverMultistepScheduler, True, {}, 6, 0.0),
    ('UniPCMultistepScheduler_defaults', UniPCMultistepScheduler, False, {}, 5, 0.0),
    ('UniPCMultistepScheduler_sd15', UniPCMultistepScheduler, True, {}, 6, 0.0),
    ('LCMScheduler_defaults', LCMScheduler, False, {}, 5, 0.0),
    ('LCMScheduler_sd15', LCMScheduler, True, {}, 6, 0.0),
    ('DDIM_linspace', DDIMScheduler, True, {'timestep_spacing': 'linspace'}, 6, 0.0),
    ('DDIM_trailing', DDIMScheduler, True, {'timestep_spacing': 'trailing'}, 6, 0.0),
    ('DDIM_vpred', DDIMScheduler, True, {'prediction_type': 'v_prediction'}, 6, 0.0),
    ('DDIM_sample', DDIMScheduler, True, {'prediction_type': 'sample'}, 6, 0.0),
    ('DDIM_eta1', DDIMScheduler, True, {}, 6, 1.0),
    ('DDIM_eta05_clip', DDIMScheduler, True, {'clip_sample': True, 'clip_sample_range': 1.5}, 6, 0.5),
    ('DDIM_thresholding', DDIMScheduler, True, {'thresholding': True, 'sample_max_value': 1.5, 'dynamic_thresholding_ratio': 0.9}, 6, 0.0),
    ('DDIM_zero_snr_trailing_vpred', DDIMScheduler, True, {'rescale_betas_zero_snr': True, 'timestep_spacing': 'trailing', 'prediction_type': 'v_prediction', 'set_alpha_to_one': True}, 6, 0.0),
    ('DDIM_cosine', DDIMScheduler, False, {'beta_schedule': 'squaredcos_cap_v2'}, 6, 0.0),
    ('DDIM_alpha_one', DDIMScheduler, True, {'set_alpha_to_one': True}, 6, 0.0),
    ('DDIM_trained_betas', DDIMScheduler, False, dict(trained_betas=TRAINED_BETAS, num_train_timesteps=100), 6, 0.0),
    ('PNDM_prk', PNDMScheduler, True, {'skip_prk_steps': False}, 6, 0.0),
    ('PNDM_prk_linspace', PNDMScheduler, True, {'skip_prk_steps': False, 'timestep_spacing': 'linspace'}, 5, 0.0),
    ('PNDM_linspace', PNDMScheduler, True, {'timestep_spacing': 'linspace'}, 6, 0.0),
    ('PNDM_trailing', PNDMScheduler, True, {'timestep_spacing': 'trailing'}, 6, 0.0),
    ('PNDM_vpred', PNDMScheduler, True, {'prediction_type': 'v_prediction'}, 6, 0.0),
    ('PNDM_alpha_one', PNDMScheduler, True, {'set_alpha_to_one': True}, 6, 0.0),
    ('DDPM_linspace', DDPMScheduler, True, {'timestep_spacing': 'linspace'}, 6, 0.0),
    ('DDPM_trailing_vpred', DDPMScheduler, True, {'timestep_spacing': 'trailing', 'prediction_type': 'v_prediction'}, 6, 0.0),
    ('DDPM_small_log', DDPMScheduler, True, {'variance_type': 'fixed_small_log'}, 6, 0.0),
    ('DDPM_large', DDPMScheduler, True, {'variance_type': 'fixed_large'}, 6, 0.0),
    ('DDPM_clip', DDPMScheduler, True, {'clip_sample': True}, 6, 0.0),
    ('DDPM_sample', DDPMScheduler, True, {'prediction_type': 'sample', 'thresholding': True}, 6, 0.0),
    ('DDPM_sigmoid', DDPMScheduler, False, {'beta_schedule': 'sigmoid'}, 6, 0.0),
    ('Euler_linspace', EulerDiscreteScheduler, True, {'timestep_spacing': 'linspace'}, 6, 0.0),
    ('Euler_trailing', EulerDiscreteScheduler, True, {'timestep_spacing': 'trailing'}, 6, 0.0),
    ('Euler_vpred', EulerDiscreteScheduler, True, {'prediction_type': 'v_prediction'}, 6, 0.0),
    ('Euler_karras', EulerDiscreteScheduler, True, {'use_karras_sigmas': True}, 6, 0.0),
    ('Euler_karras_linspace', EulerDiscreteScheduler, True, {'use_karras_sigmas': True, 'timestep_spacing': 'linspace'}, 6, 0.0),
    ('Euler_sample', EulerDiscreteScheduler, True, {'prediction_type': 'sample'}, 6, 0.0),
    ('EulerA_linspace', EulerAncestralDiscreteScheduler, True, {'timestep_spacing': 'linspace'}, 6, 0.0),
    ('EulerA_trailing', EulerAncestralDiscreteScheduler, True, {'timestep_spacing': 'trailing'}, 6, 0.0),
    ('EulerA_vpred', EulerAncestralDiscreteScheduler, True, {'prediction_type': 'v_prediction'}, 6, 0.0),
    ('LMS_linspace', LMSDiscreteScheduler, True, {'timestep_spacing': 'linspace'}, 6, 0.0),
    ('LMS_trailing', LMSDiscreteScheduler, True, {'timestep_spacing': 'trailing'}, 6, 0.0),
    ('LMS_vpred', LMSDiscreteScheduler, True, {'prediction_type': 'v_prediction'}, 6, 0.0),
    ('LMS_karras', LMSDiscreteScheduler, True, {'use_karras_sigmas': True}, 6, 0.0),
    ('LMS_karras_linspace', LMSDiscreteScheduler, True, {'use_karras_sigmas': True, 'timestep_spacing': 'linspace'}, 6, 0.0),
    ('LMS_sample', LMSDiscreteScheduler, True, {'prediction_type': 'sample'}, 6, 0.0),
    ('Heun_linspace', HeunDiscreteScheduler, True, {'timestep_spacing': 'linspace'}, 6, 0.0),
    ('Heun_trailing', HeunDiscreteScheduler, True, {'timestep_spacing': 'trailing'}, 6, 0.0),
    ('Heun_vpred', HeunDiscreteScheduler, True, {'prediction_type': 'v_prediction'}, 6, 0.0),
    ('Heun_karras', HeunDiscreteScheduler, True, {'use_karras_sigmas': True}, 6, 0.0),
    ('Heun_karras_linspace', HeunDiscreteScheduler, True, {'use_karras_sigmas': True, 'timestep_spacing': 'linspace'}, 6, 0.0),
    ('Heun_sample', HeunDiscreteScheduler, True, {'prediction_type': 'sample'}, 6, 0.0),
    ('Euler_log_linear', EulerDiscreteScheduler, True, {'interpolation_type': 'log_linear'}, 6, 0.0),
    ('Euler_sigma_min', EulerDiscreteScheduler, True, {'final_sigmas_type': 'sigma_min', 'timestep_spacing': 'trailing'}, 6, 0.0),
    ('Euler_karras_minmax', EulerDiscreteScheduler, True, {'use_karras_sigmas': True, 'sigma_min': 0.1, 'sigma_max': 10.0}, 6, 0.0),
    ('Euler_continuous_vpred', EulerDiscreteScheduler, True, {'timestep_type': 'continuous', 'prediction_type': 'v_prediction'}, 6, 0.0),
    ('Euler_zero_snr', EulerDiscreteScheduler, True, {'rescale_betas_zero_snr': True, 'timestep_spacing': 'trailing', 'prediction_type': 'v_prediction'}, 6, 0.0),
    ('EulerA_zero_snr', EulerAncestralDiscreteScheduler, True, {'rescale_betas_zero_snr': True, 'timestep_spacing': 'trailing', 'prediction_type': 'v_prediction'}, 6, 0.0),
    ('Heun_clip', HeunDiscreteScheduler, True, {'clip_sample': True, 'prediction_type': 'sample'}, 6, 0.0),
    ('Heun_cosine', HeunDiscreteScheduler, False, {'beta_schedule': 'squaredcos_cap_v2'}, 6, 0.0),
    ('Heun_exp', HeunDiscreteScheduler, False, {'beta_schedule': 'exp'}, 6, 0.0),
    ('DPM_o1', DPMSolverMultistepScheduler, True, {'solver_order': 1}, 6, 0.0),
    ('DPM_o3', DPMSolverMultistepScheduler, True, {'solver_order': 3}, 6, 0.0),
    ('DPM_o2_16', DPMSolverMultistepScheduler, True, {}, 16, 0.0),
    ('DPM_o3_16', DPMSolverMultistepScheduler, True, {'solver_order': 3}, 16, 0.0),
    ('DPM_o3_16_nolof', DPMSolverMultistepScheduler, True, {'solver_order': 3, 'lower_order_final': False}, 16, 0.0),
    ('DPM_heun', DPMSolverMultistepScheduler, True, {'solver_type': 'heun'}, 6, 0.0),
    ('DPM_karras', DPMSolverMultistepScheduler, True, {'use_karras_sigmas': True}, 6, 0.0),
    ('DPM_karras_16', DPMSolverMultistepScheduler, True, {'use_karras_sigmas': True, 'solver_order': 3}, 16, 0.0),
    ('DPM_sde', DPMSolverMultistepScheduler, True, {'algorithm_type': 'sde-dpmsolver++'}, 6, 0.0),
    ('DPM_sde_heun_karras', DPMSolverMultistepScheduler, True, {'algorithm_type': 'sde-dpmsolver++', 'solver_type': 'heun', 'use_karras_sigmas': True}, 6, 0.0),
    ('DPM_sde_o1', DPMSolverMultistepScheduler, True, {'algorithm_type': 'sde-dpmsolver++', 'solver_order': 1}, 6, 0.0),
    ('DPM_dpmsolver', DPMSolverMultistepScheduler, True, {'algorithm_type': 'dpmsolver', 'final_sigmas_type': 'sigma_min', 'solver_order': 3}, 6, 0.0),
    ('DPM_dpmsolver_heun', DPMSolverMultistepScheduler, True, {'algorithm_type': 'dpmsolver', 'final_sigmas_type': 'sigma_min', 'solver_type': 'heun'}, 6, 0.0),
    ('DPM_sde_dpmsolver', DPMSolverMultistepScheduler, True, {'algorithm_type': 'sde-dpmsolver', 'final_sigmas_type': 'sigma_min'}, 6, 0.0),
    ('DPM_sde_dpmsolver_heun', DPMSolverMultistepScheduler, True, {'algorithm_type': 'sde-dpmsolver', 'final_sigmas_type': 'sigma_min', 'solver_type': 'heun'}, 6, 0.0),
    ('DPM_sigma_min', DPMSolverMultistepScheduler, True, {'final_sigmas_type': 'sigma_min'}, 6, 0.0),
    ('DPM_euler_at_final', DPMSolverMultistepScheduler, True, {'euler_at_final': True, 'lower_order_final': False, 'final_sigmas_type': 'sigma_min'}, 16, 0.0),
    ('DPM_vpred_trailing', DPMSolverMultistepScheduler, True, {'prediction_type': 'v_prediction', 'timestep_spacing': 'trailing'}, 6, 0.0),
    ('DPM_leading', DPMSolverMultistepScheduler, True, {'timestep_spacing': 'leading'}, 6, 0.0),
    ('DPM_sample_thresh', DPMSolverMultistepScheduler, True, {'prediction_type': 'sample', 'thresholding': True}, 6, 0.0),
    ('DPM_dpmsolver_vpred', DPMSolverMultistepScheduler, True, {'algorithm_type': 'dpmsolver', 'final_sigmas_type': 'sigma_min', 'prediction_type': 'v_prediction'}, 6, 0.0),
    ('DPM_lambda_clip', DPMSolverMultistepScheduler, True, {'lambda_min_clipped': -5.1}, 6, 0.0),
    ('DPM_lu', DPMSolverMultistepScheduler, True, {'use_lu_lambdas': True}, 6, 0.0),
    ('DPM_zero_snr', DPMSolverMultistepScheduler, True, {'rescale_betas_zero_snr': True, 'timestep_spacing': 'trailing', 'prediction_type': 'v_prediction'}, 6, 0.0),
    ('DPM_deis_alias', DPMSolverMultistepScheduler, True, {'algorithm_type': 'deis', 'solver_type': 'bh2', 'final_sigmas_type': 'sigma_min'}, 6, 0.0),
    ('UniPC_bh1', UniPCMultistepScheduler, True, {'solver_type': 'bh1'}, 6, 0.0),
    ('UniPC_o3', UniPCMultistepScheduler, True, {'solver_order': 3}, 6, 0.0),
    ('UniPC_o3_16', UniPCMultistepScheduler, True, {'solver_order': 3}, 16, 0.0),
    ('UniPC_o1', UniPCMultistepScheduler, True, {'solver_order': 1}, 6, 0.0),
    ('UniPC_o2_nolof', UniPCMultistepScheduler, True, {'lower_order_final': False}, 6, 0.0),
    ('UniPC_noisepred', UniPCMultistepScheduler, True, {'predict_x0': False}, 6, 0.0),
    ('UniPC_noisepred_bh1_o3', UniPCMultistepScheduler, True, {'predict_x0': False, 'solver_type': 'bh1', 'solver_order': 3}, 8, 0.0),
    ('UniPC_karras', UniPCMultistepScheduler, True, {'use_karras_sigmas': True}, 6, 0.0),
    ('UniPC_karras_sigma_min', UniPCMultistepScheduler, True, {'use_karras_sigmas': True, 'final_sigmas_type': 'sigma_min'}, 6, 0.0),
    ('UniPC_sigma_min', UniPCMultistepScheduler, True, {'final_sigmas_type': 'sigma_min'}, 6, 0.0),
    ('UniPC_vpred_trailing', UniPCMultistepScheduler, True, {'prediction_type': 'v_prediction', 'timestep_spacing': 'trailing'}, 6, 0.0),
    ('UniPC_leading', UniPCMultistepScheduler, True, {'timestep_spacing': 'leading'}, 6, 0.0),
    ('UniPC_disable_corrector', UniPCMultistepScheduler, True, {'disable_corrector': [0, 2]}, 6, 0.0),
    ('UniPC_sample_thresh', UniPCMultistepScheduler, True, {'prediction_type': 'sample', 'thresholding': True}, 6, 0.0),
    ('UniPC_midpoint_alias', UniPCMultistepScheduler, True, {'solver_type': 'midpoint'}, 6, 0.0),
    ('LCM_4', LCMScheduler, True, {}, 4, 0.0),
    ('LCM_vpred', LCMScheduler, True, {'prediction_type': 'v_prediction'}, 4, 0.0),
    ('LCM_orig100', LCMScheduler, True, {'original_inference_steps': 100}, 8, 0.0),
    ('LCM_clip', LCMScheduler, True, {'clip_sample': True, 'prediction_type': 'sample'}, 3, 0.0),
]

# (name, class, from the pipeline config?, kwargs, custom timesteps, custom sigmas)
CUSTOM_CASES = [
    ('DDPM_ts_ays', DDPMScheduler, True, {}, [999, 850, 736, 645, 545, 455, 343, 233, 124, 24], None),
    ('DDPM_ts_short_vpred', DDPMScheduler, True, {'prediction_type': 'v_prediction'}, [999, 500, 10], None),
    ('DDPM_ts_to_zero_linspace', DDPMScheduler, True, {'timestep_spacing': 'linspace', 'variance_type': 'fixed_small_log'}, [800, 400, 100, 0], None),
    ('Euler_ts_ays', EulerDiscreteScheduler, True, {}, [999, 850, 736, 645, 545, 455, 343, 233, 124, 24], None),
    ('Euler_ts_short_sigma_min', EulerDiscreteScheduler, True, {'final_sigmas_type': 'sigma_min'}, [999, 600, 200, 1], None),
    ('Euler_ts_fractional_vpred', EulerDiscreteScheduler, True, {'prediction_type': 'v_prediction', 'timestep_spacing': 'trailing'}, [999.5, 500.25, 100.75, 3.5], None),
    ('Euler_ts_log_linear', EulerDiscreteScheduler, True, {'interpolation_type': 'log_linear'}, [999, 700, 400, 100], None),
    ('Euler_ts_continuous_epsilon', EulerDiscreteScheduler, True, {'timestep_type': 'continuous'}, [999, 500, 50], None),
    ('Euler_sigmas_ays', EulerDiscreteScheduler, True, {}, None, [14.615, 6.475, 3.861, 2.697, 1.886, 1.396, 0.963, 0.652, 0.399, 0.152, 0.029]),
    ('Euler_sigmas_ays_sigma_min', EulerDiscreteScheduler, True, {'final_sigmas_type': 'sigma_min', 'timestep_spacing': 'trailing'}, None, [14.615, 6.475, 3.861, 2.697, 1.886, 1.396, 0.963, 0.652, 0.399, 0.152, 0.029]),
    ('Euler_sigmas_karras_vpred', EulerDiscreteScheduler, True, {'use_karras_sigmas': True, 'prediction_type': 'v_prediction'}, None, [10.0, 5.0, 2.0, 0.5, 0.0]),
    ('Euler_sigmas_continuous_vpred', EulerDiscreteScheduler, True, {'timestep_type': 'continuous', 'prediction_type': 'v_prediction'}, None, [14.615, 3.861, 0.963, 0.152, 0.029]),
    ('Euler_sigmas_out_of_range', EulerDiscreteScheduler, True, {}, None, [20.0, 14.0, 1.0, 0.01, 0.0]),
    ('Heun_ts_ays', HeunDiscreteScheduler, True, {}, [999, 850, 736, 645, 545, 455, 343, 233, 124, 24], None),
    ('Heun_ts_short_vpred', HeunDiscreteScheduler, True, {'prediction_type': 'v_prediction'}, [999, 500, 10], None),
    ('DPM_ts_ays', DPMSolverMultistepScheduler, True, {}, [999, 850, 736, 645, 545, 455, 343, 233, 124, 24], None),
    ('DPM_ts_order3_sigma_min', DPMSolverMultistepScheduler, True, {'solver_order': 3, 'final_sigmas_type': 'sigma_min'}, [999, 800, 600, 400, 200, 1], None),
    ('DPM_ts_sde_heun_vpred', DPMSolverMultistepScheduler, True, {'algorithm_type': 'sde-dpmsolver++', 'solver_type': 'heun', 'prediction_type': 'v_prediction'}, [999, 700, 400, 100], None),
    ('DPM_ts_dpmsolver', DPMSolverMultistepScheduler, True, {'algorithm_type': 'dpmsolver', 'final_sigmas_type': 'sigma_min', 'lambda_min_clipped': -5.1}, [999, 750, 500, 250, 20], None),
    ('DPM_ts_fractional', DPMSolverMultistepScheduler, True, {}, [999.7, 500.2, 100.9], None),
    ('LCM_ts_on_schedule', LCMScheduler, True, {}, [999, 759, 499, 259], None),
    ('LCM_ts_off_schedule', LCMScheduler, True, {}, [900, 500, 250, 10], None),
    ('LCM_ts_longer_than_original', LCMScheduler, True, {'original_inference_steps': 4}, [999, 749, 499, 249, 100], None),
]

# (name, class, kwargs, what is called, num_inference_steps, custom timesteps, custom sigmas): each raises ValueError
CUSTOM_ERRORS = [
    ('DDPM_not_descending', DDPMScheduler, {}, 'set_timesteps', None, [999, 500, 500, 10], None),
    ('DDPM_start_too_late', DDPMScheduler, {}, 'set_timesteps', None, [1000, 500], None),
    ('DDPM_both_n_and_ts', DDPMScheduler, {}, 'set_timesteps', 4, [999, 500], None),
    ('Euler_ts_and_sigmas', EulerDiscreteScheduler, {}, 'set_timesteps', None, [999, 500], [14.6, 1.0, 0.0]),
    ('Euler_n_and_sigmas', EulerDiscreteScheduler, {}, 'set_timesteps', 4, None, [14.6, 1.0, 0.0]),
    ('Euler_ts_karras', EulerDiscreteScheduler, {'use_karras_sigmas': True}, 'set_timesteps', None, [999, 500], None),
    ('Euler_ts_continuous_vpred', EulerDiscreteScheduler, {'timestep_type': 'continuous', 'prediction_type': 'v_prediction'}, 'set_timesteps', None, [999, 500], None),
    ('Heun_ts_karras', HeunDiscreteScheduler, {'use_karras_sigmas': True}, 'set_timesteps', None, [999, 500], None),
    ('Heun_both_n_and_ts', HeunDiscreteScheduler, {}, 'set_timesteps', 4, [999, 500], None),
    ('DPM_ts_karras', DPMSolverMultistepScheduler, {'use_karras_sigmas': True}, 'set_timesteps', None, [999, 500], None),
    ('DPM_ts_lu_lambdas', DPMSolverMultistepScheduler, {'use_lu_lambdas': True}, 'set_timesteps', None, [999, 500], None),
    ('DPM_both_n_and_ts', DPMSolverMultistepScheduler, {}, 'set_timesteps', 4, [999, 500], None),
    ('LCM_not_descending', LCMScheduler, {}, 'set_timesteps', None, [999, 499, 759], None),
    ('LCM_start_too_late', LCMScheduler, {}, 'set_timesteps', None, [1000, 499], None),
    ('LCM_both_n_and_ts', LCMScheduler, {}, 'set_timesteps', 4, [999, 499], None),
    ('LCM_original_too_large', LCMScheduler, {'original_inference_steps': 1001}, 'set_timesteps', None, [999, 499], None),
    ('retrieve_DDIM_timesteps', DDIMScheduler, {}, 'retrieve_timesteps', 10, [999, 850, 736, 645, 545, 455, 343, 233, 124, 24], None),
    ('retrieve_Heun_sigmas', HeunDiscreteScheduler, {}, 'retrieve_timesteps', 10, None, [14.615, 6.475, 3.861, 2.697, 1.886, 1.396, 0.963, 0.652, 0.399, 0.152, 0.029]),
    ('retrieve_DPM_sigmas', DPMSolverMultistepScheduler, {}, 'retrieve_timesteps', None, None, [14.615, 6.475, 3.861, 2.697, 1.886, 1.396, 0.963, 0.652, 0.399, 0.152, 0.029]),
    ('retrieve_EulerA_timesteps', EulerAncestralDiscreteScheduler, {}, 'retrieve_timesteps', None, [999, 850, 736, 645, 545, 455, 343, 233, 124, 24], None),
    ('retrieve_both', EulerDiscreteScheduler, {}, 'retrieve_timesteps', None, [999, 850, 736, 645, 545, 455, 343, 233, 124, 24], [14.615, 6.475, 3.861, 2.697, 1.886, 1.396, 0.963, 0.652, 0.399, 0.152, 0.029]),
]


def b64(t):
    return base64.b64encode(np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4")).tobytes()).decode("ascii")


def randn(seed):
    return torch.randn(SHAPE, generator=torch.Generator().manual_seed(seed))


def build(cls, from_pipeline_config, kwargs, pipeline_config):
    return cls.from_config(pipeline_config, **kwargs) if from_pipeline_config else cls(**kwargs)


def schedule_entry(s):
    e = {"timesteps": [float(t) for t in s.timesteps], "timesteps_dtype": str(s.timesteps.dtype),
         "init_noise_sigma": float(s.init_noise_sigma)}
    if getattr(s, "sigmas", None) is not None:
        e["sigmas"] = b64(s.sigmas)
        e["sigmas_dtype"] = str(s.sigmas.dtype)
    return e


def trajectory(s, eta):
    """Steps over all of s.timesteps from sample0, recording scale_model_input, prev_sample and pred_original_sample
    (LCM: denoised)."""
    params = inspect.signature(s.step).parameters
    g = torch.Generator().manual_seed(3000)
    sample = randn(1000) * s.init_noise_sigma
    sample0 = sample
    out = []
    for k, t in enumerate(s.timesteps):
        mo = randn(2000 + k)
        scaled = s.scale_model_input(sample, t)
        kw = {}
        if "generator" in params:
            kw["generator"] = g
        if "eta" in params:
            kw["eta"] = eta
        r = s.step(mo, t, sample, **kw)
        pred = getattr(r, "pred_original_sample", None)
        if pred is None:
            pred = getattr(r, "denoised", None)
        out.append({"t": float(t), "model_output": b64(mo), "scaled": b64(scaled), "prev": b64(r.prev_sample),
                    "pred_original": None if pred is None else b64(pred)})
        sample = r.prev_sample
    return b64(sample0), out


def add_noise(make):
    """add_noise with per-row timesteps [timesteps[1], timesteps[-2]] on a freshly set scheduler, and (schedulers with
    set_begin_index) with set_begin_index(2) and [timesteps[2]] * 2."""
    s = make()
    original, noise = randn(4000), randn(4001)
    ts = s.timesteps[[1, -2]]
    a = {"original": b64(original), "noise": b64(noise), "timesteps": [float(t) for t in ts],
         "out": b64(s.add_noise(original, noise, ts))}
    if not hasattr(s, "set_begin_index"):
        return a, None
    s = make()
    s.set_begin_index(2)
    ts = s.timesteps[[2, 2]]
    return a, {"timesteps": [float(t) for t in ts], "out": b64(s.add_noise(original, noise, ts))}


def scheduler_refs(pipeline_config):
    sd15 = DDIMScheduler.from_config(pipeline_config).alphas_cumprod
    cases = []
    for name, cls, from_cfg, kwargs, steps, eta in SCHEDULER_CASES:
        base_case = name.endswith(("_defaults", "_sd15"))
        s = build(cls, from_cfg, kwargs, pipeline_config)
        c = {"name": name, "class": cls.__name__, "from_pipeline_config": from_cfg, "kwargs": kwargs, "config": dict(s.config),
             "order": s.order}
        if base_case or not torch.equal(s.alphas_cumprod, sd15):
            c["alphas_cumprod"] = b64(s.alphas_cumprod)
        c["set_timesteps"] = {}
        for n in (BASE_COUNTS if base_case else VARIANT_COUNTS):
            s = build(cls, from_cfg, kwargs, pipeline_config)
            try:
                s.set_timesteps(n)
                c["set_timesteps"][str(n)] = schedule_entry(s)
            except Exception as e:  # noqa: BLE001 - the error diffusers raises is the reference
                c["set_timesteps"][str(n)] = {"error": f"{type(e).__name__}: {e}"}

        def make():
            x = build(cls, from_cfg, kwargs, pipeline_config)
            x.set_timesteps(steps)
            return x
        c["steps"] = steps
        c["eta"] = eta
        c["sample0"], c["trajectory"] = trajectory(make(), eta)
        c["add_noise"], begin2 = add_noise(make)
        if begin2 is not None:
            c["add_noise_begin2"] = begin2
        cases.append(c)
        log(name, len(c["trajectory"]), "steps")
    return {"diffusers": diffusers.__version__, "torch": torch.__version__, "numpy": np.__version__, "shape": list(SHAPE),
            "pipeline_config": pipeline_config, "inputs": INPUTS, "cases": cases}


class _Warnings(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def custom_timesteps(pipeline_config):
    cases = []
    dlog = logging.getLogger("diffusers")
    for name, cls, from_cfg, kwargs, ts, sigmas in CUSTOM_CASES:
        def make():
            x = build(cls, from_cfg, kwargs, pipeline_config)
            retrieve_timesteps(x, None, "cpu", ts, sigmas)
            return x
        s = build(cls, from_cfg, kwargs, pipeline_config)
        h = _Warnings()
        dlog.addHandler(h)
        try:
            _, n = retrieve_timesteps(s, None, "cpu", ts, sigmas)
        finally:
            dlog.removeHandler(h)
        c = {"name": name, "class": cls.__name__, "from_pipeline_config": from_cfg, "kwargs": kwargs, "custom_timesteps": ts,
             "custom_sigmas": sigmas, "order": s.order, "warnings": h.messages, "num_inference_steps": n}
        c.update({k: v for k, v in schedule_entry(s).items() if k != "sigmas_dtype"})
        c["eta"] = 0.0
        c["sample0"], c["trajectory"] = trajectory(make(), 0.0)
        c["add_noise"], begin2 = add_noise(make)
        if begin2 is not None:
            c["add_noise_begin2"] = begin2
        cases.append(c)
        log(name, n, "steps")
    errors = []
    for name, cls, kwargs, call, n, ts, sigmas in CUSTOM_ERRORS:
        s = cls.from_config(pipeline_config, **kwargs)
        try:
            if call == "set_timesteps":
                kw = {"num_inference_steps": n}
                if ts is not None:
                    kw["timesteps"] = ts
                if sigmas is not None:
                    kw["sigmas"] = sigmas
                s.set_timesteps(**kw)
            else:
                retrieve_timesteps(s, n, "cpu", ts, sigmas)
            raise SystemExit(f"{name}: diffusers raised nothing")
        except ValueError as e:
            errors.append({"name": name, "class": cls.__name__, "kwargs": kwargs, "call": call, "num_inference_steps": n,
                           "custom_timesteps": ts, "custom_sigmas": sigmas, "error": str(e)})
    return {"generator": f"diffusers {diffusers.__version__} (torch {torch.__version__}, numpy {np.__version__}), "
                         "XScheduler.from_config(pipeline_config, **kwargs), then retrieve_timesteps(scheduler, None, \"cpu\", "
                         "timesteps, sigmas)",
            "pipeline_config": pipeline_config, "cases": cases, "errors": errors}


def write_gz(path, obj, **dump_kw):
    with gzip.open(path, "wt") as f:
        json.dump(obj, f, **dump_kw)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output root; writes OUT/schedulers/")
    ap.add_argument("--resources", default=refenv.RESOURCES, help="test-resources root holding the tiny-sd fixture")
    args = ap.parse_args()
    with open(os.path.join(args.resources, "tiny-sd", "scheduler", "scheduler_config.json")) as f:
        pipeline_config = json.load(f)
    out = os.path.join(args.out, "schedulers")
    os.makedirs(out, exist_ok=True)
    write_gz(os.path.join(out, "scheduler_refs.json.gz"), scheduler_refs(pipeline_config), separators=(",", ":"))
    write_gz(os.path.join(out, "custom_timesteps.json.gz"), custom_timesteps(pipeline_config), indent=1)
    log("schedulers ->", out)


if __name__ == "__main__":
    main()
