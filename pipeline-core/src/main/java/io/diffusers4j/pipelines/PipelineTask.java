// The tasks of diffusers' AutoPipelineForText2Image / ForImage2Image / ForInpainting, and unconditional generation.
package io.diffusers4j.pipelines;

/** What a pipeline class does; a family of pipelines has one class per task over the same components. */
public enum PipelineTask {
    TEXT_TO_IMAGE,
    IMAGE_TO_IMAGE,
    INPAINTING,
    /** Images from noise alone, without a prompt (DDPMPipeline, DDIMPipeline). */
    UNCONDITIONAL_IMAGE,
    /** Audio from noise alone (DanceDiffusionPipeline): an {@link AudioPipelineOutput}. */
    AUDIO;

    /** True when the pipelines of this task return an {@link AudioPipelineOutput} (else images). */
    public boolean producesAudio() {
        return this == AUDIO;
    }
}
