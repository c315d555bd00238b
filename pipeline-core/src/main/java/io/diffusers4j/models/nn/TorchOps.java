// libtorch ops that DJL 0.36 does not expose, reached through a small TorchScript module compiled from source here.
package io.diffusers4j.models.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Libtorch capabilities that DJL's NDArray API lacks, used by {@link Conv2d}, {@link Linear},
 * {@link ScaledDotProductAttention} and {@link Activations#geluApproximate}:
 * <ul>
 *   <li><b>prepacked oneDNN convolution</b> ({@code mkldnn_prepacked::conv2d_prepack / conv2d_run}): the weights are
 *       reordered into oneDNN's blocked layout once, instead of on every call as {@code torch.conv2d} does on the
 *       CPU. For the UNet's 1280-channel convolutions at small spatial sizes that per-call reorder of 59 MB costs
 *       as much as the arithmetic. Same kernels, same results (bit-identical in our measurements);</li>
 *   <li><b>fused attention</b> ({@code torch.scaled_dot_product_attention}): diffusers' default processor on torch 2
 *       ({@code AttnProcessor2_0}); libtorch's blocked (flash) kernel on the CPU, flash / memory-efficient kernels
 *       on CUDA. Never materialises the score matrix; unmasked float32 attention on the CPU instead goes head by
 *       head through oneDNN's inner product ({@link #attentionOneDnn(NDArray, NDArray, NDArray, float)}, score blocks
 *       of at most 16 MiB);</li>
 *   <li><b>tanh GELU</b> ({@code F.gelu(x, approximate="tanh")}, diffusers' {@code GELU(approximate="tanh")}): one
 *       kernel instead of the seven element-wise passes of the formula;</li>
 *   <li><b>SiLU</b> ({@link #silu}, {@link #siluInPlace}): one pass instead of {@code sigmoid(x) * x}'s two and its
 *       temporary, in place where the caller drops its input (diffusers' own {@code F.silu});</li>
 *   <li><b>oneDNN linear layers</b> ({@link #linear}): float32 matrix products by oneDNN instead of MKL, which this
 *       libtorch uses without AVX-512 on AMD CPUs (half the speed there);</li>
 *   <li><b>bfloat16 compute</b> ({@link #packConvBf16}, {@link #packLinearBf16}): float32 in, float32 out, bfloat16
 *       weights held only inside opaque TorchScript values (a convolution context, a tensor list) that DJL never
 *       wraps, so no bfloat16 tensor ever reaches DJL 0.36, which aborts the JVM on one
 *       (docs/design.md#bfloat16-compute-on-the-cpu).</li>
 * </ul>
 *
 * <p>The module is TorchScript <em>source</em> written below, packed into an in-memory archive in the layout
 * {@code torch.jit.save} writes (a pickled module object of class {@code __torch__.Ops}, its code, no tensors) and
 * compiled by libtorch when loaded: nothing binary is shipped, and it compiles against whatever libtorch DJL loaded.
 * If it cannot be loaded (an older libtorch without these ops), {@link #available()} is false, a warning is
 * logged once, and callers use their plain DJL paths. {@code -Ddiffusers4j.torch-ops=false} turns it off.
 *
 * <p>Calls are thread-safe (TorchScript methods of one module may run concurrently); each costs ~10 µs of
 * interpreter and JNI overhead. Results belong to the manager of the first tensor argument, like DJL's own ops.
 */
public final class TorchOps {
    private static final Logger LOG = LoggerFactory.getLogger(TorchOps.class);

    /** The TorchScript source of class {@code __torch__.Ops} (the serialized-code dialect of TorchScript). */
    static final String SOURCE = String.join("\n",
            "class Ops(Module):",
            "  __parameters__ = []",
            "  __buffers__ = []",
            "  training : bool",
            "  def forward(self: __torch__.Ops, x: Tensor) -> Tensor:",
            "    return x",
            "  def conv_prepack(self: __torch__.Ops, w: Tensor, b: Tensor, stride: List[int], padding: List[int],",
            "      input_size: List[int]) -> __torch__.torch.classes.mkldnn.ConvOpContext:",
            "    return ops.mkldnn_prepacked.conv2d_prepack(w, b, stride, padding, [1, 1], 1, input_size, \"none\")",
            "  def conv_prepack_nobias(self: __torch__.Ops, w: Tensor, stride: List[int], padding: List[int],",
            "      input_size: List[int]) -> __torch__.torch.classes.mkldnn.ConvOpContext:",
            "    return ops.mkldnn_prepacked.conv2d_prepack(w, None, stride, padding, [1, 1], 1, input_size, \"none\")",
            "  def conv_run(self: __torch__.Ops, x: Tensor, ctx: __torch__.torch.classes.mkldnn.ConvOpContext)"
                    + " -> Tensor:",
            "    return ops.mkldnn_prepacked.conv2d_run(x, ctx)",
            "  def sdpa(self: __torch__.Ops, q: Tensor, k: Tensor, v: Tensor, scale: float) -> Tensor:",
            "    return torch.scaled_dot_product_attention(q, k, v, None, 0., False, scale=scale)",
            "  def sdpa_mask(self: __torch__.Ops, q: Tensor, k: Tensor, v: Tensor, mask: Tensor, scale: float)"
                    + " -> Tensor:",
            "    return torch.scaled_dot_product_attention(q, k, v, mask, 0., False, scale=scale)",
            "  def gelu_tanh(self: __torch__.Ops, x: Tensor) -> Tensor:",
            "    return torch.gelu(x, approximate=\"tanh\")",
            "  def silu(self: __torch__.Ops, x: Tensor) -> Tensor:",
            "    return torch.silu(x)",
            "  def silu_(self: __torch__.Ops, x: Tensor) -> Tensor:",
            "    return torch.silu_(x)",
            // bfloat16 compute: the serialized dialect spells dtypes as ScalarType numbers (6 float32, 15 bfloat16);
            // the weights get extra_out zero output channels (and the result is sliced back), see packConvBf16
            "  def bf16_conv_prepack(self: __torch__.Ops, w: Tensor, b: Tensor, stride: List[int], padding: List[int],",
            "      input_size: List[int], extra_out: int) -> __torch__.torch.classes.mkldnn.ConvOpContext:",
            "    wp = torch.constant_pad_nd(w, [0, 0, 0, 0, 0, 0, 0, extra_out], 0.)",
            "    bp = torch.constant_pad_nd(b, [0, extra_out], 0.)",
            "    return ops.mkldnn_prepacked.conv2d_prepack(wp.to(15), bp, stride, padding, [1, 1], 1, input_size,"
                    + " \"none\")",
            "  def bf16_conv_prepack_nobias(self: __torch__.Ops, w: Tensor, stride: List[int], padding: List[int],",
            "      input_size: List[int], extra_out: int) -> __torch__.torch.classes.mkldnn.ConvOpContext:",
            "    wp = torch.constant_pad_nd(w, [0, 0, 0, 0, 0, 0, 0, extra_out], 0.)",
            "    return ops.mkldnn_prepacked.conv2d_prepack(wp.to(15), None, stride, padding, [1, 1], 1, input_size,"
                    + " \"none\")",
            "  def bf16_conv_run(self: __torch__.Ops, x: Tensor, ctx: __torch__.torch.classes.mkldnn.ConvOpContext,",
            "      out_channels: int) -> Tensor:",
            "    y = ops.mkldnn_prepacked.conv2d_run(x.to(15), ctx)",
            "    return torch.slice(y, 1, 0, out_channels).to(6)",
            "  def bf16_linear_pack(self: __torch__.Ops, w: Tensor) -> List[Tensor]:",
            "    return [w.to(15)]",
            "  def bf16_linear_pack_bias(self: __torch__.Ops, w: Tensor, b: Tensor) -> List[Tensor]:",
            "    return [w.to(15), b.to(15)]",
            "  def bf16_linear(self: __torch__.Ops, x: Tensor, p: List[Tensor]) -> Tensor:",
            "    xb = x.to(15)",
            "    if len(p) == 1:",
            "      y = torch.linear(xb, p[0])",
            "    else:",
            "      y = torch.linear(xb, p[0], p[1])",
            "    return y.to(6)",
            // float32 linear layers through oneDNN's inner product on the plain weight, see linear(...)
            "  def f32_linear(self: __torch__.Ops, x: Tensor, w: Tensor) -> Tensor:",
            "    return ops.mkldnn._linear_pointwise(x, w, None, \"none\", annotate(List[Optional[number]], []), None)",
            "  def f32_linear_bias(self: __torch__.Ops, x: Tensor, w: Tensor, b: Tensor) -> Tensor:",
            "    return ops.mkldnn._linear_pointwise(x, w, b, \"none\", annotate(List[Optional[number]], []), None)",
            // float32 attention head by head with both products on oneDNN, see attentionOneDnn(...)
            "  def f32_attention(self: __torch__.Ops, q: Tensor, k: Tensor, v: Tensor, scale: float, rows: int)"
                    + " -> Tensor:",
            "    lq = q.size(-2)",
            "    lk = k.size(-2)",
            "    dv = v.size(-1)",
            "    q3 = q.reshape([-1, lq, q.size(-1)])",
            "    k3 = k.reshape([-1, lk, k.size(-1)])",
            "    v3 = v.reshape([-1, lk, dv])",
            "    n = q3.size(0)",
            "    out = q3.new_empty([n, lq, dv])",
            "    for i in range(n):",
            "      ki = k3.select(0, i).contiguous()",
            "      vt = v3.select(0, i).t().contiguous()",
            "      qi = q3.select(0, i)",
            "      oi = out.select(0, i)",
            "      r0 = 0",
            "      while r0 < lq:",
            "        r1 = min(r0 + rows, lq)",
            "        qs = torch.mul(qi.narrow(0, r0, r1 - r0), scale)",
            "        p = torch.softmax(self.f32_linear(qs, ki), -1)",
            "        oi.narrow(0, r0, r1 - r0).copy_(self.f32_linear(p, vt))",
            "        r0 = r1",
            "    return out",
            "");

    private static final Object LOCK = new Object();
    private static volatile PtSymbolBlock module;
    private static volatile boolean failed;

    private TorchOps() {
    }

    /** True when the module is loaded (loading it on first use) and not switched off. */
    public static boolean available() {
        return enabledModule() != null;
    }

    private static PtSymbolBlock module() {
        PtSymbolBlock m = module;
        if (m != null || failed) {
            return m;
        }
        synchronized (LOCK) {
            if (module == null && !failed) {
                try {
                    PtNDManager manager = (PtNDManager) NDManager.newBaseManager(Device.cpu(), "PyTorch");
                    module = JniUtils.loadModule(manager, new ByteArrayInputStream(archive()), false, false);
                } catch (IOException | RuntimeException | LinkageError e) {
                    failed = true;
                    LOG.warn("libtorch TorchScript ops unavailable ({}); using the plain DJL convolution and "
                            + "attention paths", e.toString().lines().findFirst().orElse(""));
                }
            }
            return module;
        }
    }

    /** The module as {@code torch.jit.save} lays it out: {@code ops/data.pkl}, code, constants, version. */
    static byte[] archive() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            entry(zip, "ops/data.pkl", modulePickle());
            entry(zip, "ops/code/__torch__.py", SOURCE.getBytes(StandardCharsets.UTF_8));
            entry(zip, "ops/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // an empty tuple
            // file format 10 (what torch >= 1.12 writes): at <= 9 libtorch replaces aten::gelu by its upgrader
            // gelu_0_9, which has no `approximate` argument; none of the other ops here has an upgrader
            entry(zip, "ops/version", "10\n".getBytes(StandardCharsets.US_ASCII));
        }
        return bytes.toByteArray();
    }

    private static void entry(ZipOutputStream zip, String name, byte[] data) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(data);
        zip.closeEntry();
    }

    /**
     * Pickle protocol 2 of the module object: {@code __torch__.Ops.__new__()} with state {@code {training: True}}
     * (GLOBAL, EMPTY_TUPLE, NEWOBJ, EMPTY_DICT, MARK, key, value, SETITEMS, BUILD, STOP).
     */
    private static byte[] modulePickle() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x80);
        b.write(2);
        b.writeBytes("c__torch__\nOps\n".getBytes(StandardCharsets.US_ASCII));
        b.write(')');
        b.write(0x81);
        b.write('}');
        b.write('(');
        byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
        b.write('X');
        b.write(key.length);
        b.write(0);
        b.write(0);
        b.write(0);
        b.writeBytes(key);
        b.write(0x88);
        b.write('u');
        b.write('b');
        b.write('.');
        return b.toByteArray();
    }

    /**
     * A oneDNN convolution context holding the prepacked weights, in float32 or (for {@link #packConvBf16}) in
     * bfloat16; {@link #close()} frees them. The context is an opaque TorchScript object: DJL never decodes it.
     */
    public static final class PackedConv implements AutoCloseable {
        private final IValue context;
        private final long[] inputShape;
        private final boolean bf16;
        /** Output channels of the convolution (the bfloat16 context may hold more: zero padding). */
        private final long outChannels;

        private PackedConv(IValue context, long[] inputShape, boolean bf16, long outChannels) {
            this.context = context;
            this.inputShape = inputShape;
            this.bf16 = bf16;
            this.outChannels = outChannels;
        }

        /** The input shape the packing was chosen for (other shapes still work, possibly with a reorder). */
        public long[] inputShape() {
            return inputShape.clone();
        }

        /** Whether the packed weights are bfloat16 (inputs are then cast to bfloat16 and outputs back to float32). */
        public boolean bf16() {
            return bf16;
        }

        @Override
        public void close() {
            context.close();
        }
    }

    /**
     * Packs a float32 CPU convolution (groups 1, dilation 1) for inputs of {@code inputShape}; null when the module
     * is unavailable.
     */
    public static PackedConv packConv(NDArray weight, NDArray bias, long stride, long padding, long[] inputShape) {
        return pack(weight, bias, stride, padding, inputShape, false);
    }

    /**
     * Packs a float32 CPU convolution's weights as bfloat16 (the bias stays float32); {@link #runConv} then casts
     * each float32 input to bfloat16, convolves with float32 accumulation and returns float32. The bfloat16 weights
     * exist only inside the packed context. Null when the module is unavailable.
     *
     * <p>libtorch 2.7.1's bfloat16 CPU convolution (oneDNN, plain or prepacked) is wrong when the number of output
     * channels is not a multiple of {@value #BF16_OUT_BLOCK} (measured on an AVX512-BF16 CPU: 3, 4, 8, 12, 24, 40
     * and 330 output channels gave errors of 20-50% of the output's magnitude; 16, 32 and 48 were right), which
     * the last convolutions of a UNet (4 channels) and a VAE (3) are. The weights therefore get zero output channels
     * up to the next multiple, and the result is sliced back to the real channels, inside libtorch.
     */
    public static PackedConv packConvBf16(NDArray weight, NDArray bias, long stride, long padding,
                                          long[] inputShape) {
        return pack(weight, bias, stride, padding, inputShape, true);
    }

    /** Output channels of a bfloat16 convolution are padded to a multiple of this (see {@link #packConvBf16}). */
    static final int BF16_OUT_BLOCK = 16;

    private static PackedConv pack(NDArray weight, NDArray bias, long stride, long padding, long[] inputShape,
                                   boolean bf16) {
        PtSymbolBlock m = module();
        if (m == null) {
            return null;
        }
        long out = weight.getShape().get(0);
        String method = bf16 ? "bf16_conv_prepack" : "conv_prepack";
        IValue w = IValue.from((PtNDArray) weight);
        IValue b = bias == null ? null : IValue.from((PtNDArray) bias);
        IValue s = IValue.listFrom(stride, stride);
        IValue p = IValue.listFrom(padding, padding);
        IValue in = IValue.listFrom(inputShape);
        IValue extra = IValue.from((BF16_OUT_BLOCK - out % BF16_OUT_BLOCK) % BF16_OUT_BLOCK);
        try {
            IValue ctx;
            if (bf16) {
                ctx = b == null ? call(m, method + "_nobias", w, s, p, in, extra) : call(m, method, w, b, s, p, in,
                        extra);
            } else {
                ctx = b == null ? call(m, method + "_nobias", w, s, p, in) : call(m, method, w, b, s, p, in);
            }
            return new PackedConv(ctx, inputShape.clone(), bf16, out);
        } finally {
            closeAll(w, b, s, p, in, extra);
        }
    }

    /** Runs a packed convolution on the float32 {@code x}; the float32 result belongs to {@code x}'s manager. */
    public static NDArray runConv(NDArray x, PackedConv packed) {
        IValue in = IValue.from((PtNDArray) x);
        if (!packed.bf16) {
            try {
                return tensor(call(module, "conv_run", in, packed.context), x);
            } finally {
                in.close();
            }
        }
        IValue out = IValue.from(packed.outChannels);
        try {
            return tensor(call(module, "bf16_conv_run", in, packed.context, out), x);
        } finally {
            closeAll(in, out);
        }
    }

    /**
     * The bfloat16 copy of a linear layer's weight (and bias) as a TorchScript {@code List[Tensor]} that stays an
     * opaque value on the Java side (never decoded into NDArrays); {@link #close()} frees it.
     */
    public static final class Bf16Linear implements AutoCloseable {
        private final IValue weights;

        private Bf16Linear(IValue weights) {
            this.weights = weights;
        }

        @Override
        public void close() {
            weights.close();
        }
    }

    /** The bfloat16 copy of a float32 CPU weight {@code [out, in]} and bias (or null); null when unavailable. */
    public static Bf16Linear packLinearBf16(NDArray weight, NDArray bias) {
        PtSymbolBlock m = module();
        if (m == null) {
            return null;
        }
        IValue w = IValue.from((PtNDArray) weight);
        IValue b = bias == null ? null : IValue.from((PtNDArray) bias);
        try {
            return new Bf16Linear(b == null ? call(m, "bf16_linear_pack", w) : call(m, "bf16_linear_pack_bias", w, b));
        } finally {
            closeAll(w, b);
        }
    }

    /**
     * {@code x W^T + b} of a float32 {@code x} (any leading dimensions) computed in bfloat16 with float32
     * accumulation (oneDNN), returned as float32 in {@code x}'s manager.
     */
    public static NDArray linearBf16(NDArray x, Bf16Linear packed) {
        IValue in = IValue.from((PtNDArray) x);
        try {
            return tensor(call(module, "bf16_linear", in, packed.weights), x);
        } finally {
            in.close();
        }
    }

    /**
     * {@code x W^T + b} of a float32 CPU {@code x} (any leading dimensions), weight {@code [out, in]} and bias (or
     * null) computed by oneDNN's inner product ({@code mkldnn::_linear_pointwise}) instead of {@code torch.linear},
     * which this libtorch sends to MKL's {@code sgemm}: the same float32 arithmetic in another summation order
     * (results differ in the last bits), 1.6-2.6x faster per call on an AMD Zen 4 CPU, where MKL does not use AVX-512
     * (docs/performance.md#float32-linear-layers-through-onednn). The weight stays the plain tensor it is: reordering it
     * for oneDNN first ({@code mkldnn::_reorder_linear_weight}) gives wrong results in libtorch 2.7.1 for many shapes
     * (out features 33, 64, 200, 320, ... at some row counts; measured). The result belongs to {@code x}'s manager;
     * null when the module is unavailable.
     */
    public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        PtSymbolBlock m = module();
        if (m == null) {
            return null;
        }
        IValue in = IValue.from((PtNDArray) x);
        IValue w = IValue.from((PtNDArray) weight);
        IValue b = bias == null ? null : IValue.from((PtNDArray) bias);
        try {
            return tensor(b == null ? call(m, "f32_linear", in, w) : call(m, "f32_linear_bias", in, w, b), x);
        } finally {
            closeAll(in, w, b);
        }
    }

    /**
     * {@code softmax(q k^T * scale + mask) v} for {@code [..., L, d]} inputs (mask additive and broadcastable, or
     * null) with libtorch's fused kernel, or, unmasked in float32 on the CPU, {@link #attentionOneDnn(NDArray,
     * NDArray, NDArray, float)}; the result belongs to {@code q}'s manager.
     */
    public static NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask, float scale) {
        if (mask == null && attentionOneDnn(q) && sameLeadingDims(q, k) && sameLeadingDims(q, v)) {
            return attentionOneDnn(q, k, v, scale);
        }
        if (q.getShape().dimension() == 3) {
            // libtorch's fused CPU kernel takes [batch, heads, L, d]; 3-D inputs would fall back to the unfused path
            try (NDArray q4 = q.expandDims(0); NDArray k4 = k.expandDims(0); NDArray v4 = v.expandDims(0);
                 NDArray m4 = mask == null ? null : mask.expandDims(0);
                 NDArray out = attention(q4, k4, v4, m4, scale)) {
                return out.squeeze(0);
            }
        }
        PtSymbolBlock m = module();
        IValue iq = IValue.from((PtNDArray) q);
        IValue ik = IValue.from((PtNDArray) k);
        IValue iv = IValue.from((PtNDArray) v);
        IValue im = mask == null ? null : IValue.from((PtNDArray) mask);
        IValue is = IValue.from((double) scale);
        try {
            IValue out = im == null ? call(m, "sdpa", iq, ik, iv, is)
                    : call(m, "sdpa_mask", iq, ik, iv, im, is);
            return tensor(out, q);
        } finally {
            closeAll(iq, ik, iv, im, is);
        }
    }

    /** {@code -Ddiffusers4j.attention-onednn=false} keeps unmasked float32 CPU attention on libtorch's fused kernel. */
    static final String ATTENTION_ONEDNN = "diffusers4j.attention-onednn";

    /**
     * Bytes of one block of scores (and one of probabilities) in
     * {@link #attentionOneDnn(NDArray, NDArray, NDArray, float)}.
     */
    static final long ONEDNN_SCORE_BLOCK_BYTES = 16L << 20;

    /** Whether unmasked attention on {@code q} goes to {@link #attentionOneDnn(NDArray, NDArray, NDArray, float)}. */
    static boolean attentionOneDnn(NDArray q) {
        return q.getDataType() == DataType.FLOAT32 && !q.getDevice().isGpu()
                && Boolean.parseBoolean(System.getProperty(ATTENTION_ONEDNN, "true"));
    }

    /** Whether {@code a} and {@code b} have the same rank and the same sizes before their last two dimensions. */
    private static boolean sameLeadingDims(NDArray a, NDArray b) {
        Shape x = a.getShape();
        Shape y = b.getShape();
        if (x.dimension() != y.dimension()) {
            return false;
        }
        for (int i = 0; i < x.dimension() - 2; i++) {
            if (x.get(i) != y.get(i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Unmasked float32 CPU attention for {@code [..., L, d]} inputs of the same leading sizes (broadcasting ones take
     * the fused kernel), head by head: for each block of query rows, {@code q k^T * scale} and then the product with
     * {@code v} go to oneDNN's inner product (the module's {@code f32_linear}, k and the transposed v as plain
     * weights, as in {@link #linear}) with libtorch's softmax between. libtorch's fused CPU kernel computes its
     * products with MKL, which reaches 66-76 GFLOP/s per thread on the UNet's attention shapes on an AMD Zen 4 CPU,
     * where this path takes 1.4-1.6x less time on one thread and 1.1-1.4x on two
     * (docs/performance.md#float32-attention-through-onednn). The score block is bounded to
     * {@link #ONEDNN_SCORE_BLOCK_BYTES} whatever the sequence length (at least one query row). The result belongs to
     * {@code q}'s manager.
     */
    static NDArray attentionOneDnn(NDArray q, NDArray k, NDArray v, float scale) {
        Shape qs = q.getShape();
        int dims = qs.dimension();
        long lq = qs.get(dims - 2);
        long lk = k.getShape().get(dims - 2);
        long dv = v.getShape().get(dims - 1);
        long rows = Math.max(1, Math.min(lq, ONEDNN_SCORE_BLOCK_BYTES / (4 * Math.max(1, lk))));
        PtSymbolBlock m = module();
        IValue iq = IValue.from((PtNDArray) q);
        IValue ik = IValue.from((PtNDArray) k);
        IValue iv = IValue.from((PtNDArray) v);
        IValue is = IValue.from((double) scale);
        IValue ir = IValue.from(rows);
        try (NDArray out = tensor(call(m, "f32_attention", iq, ik, iv, is, ir), q)) {
            long[] shape = qs.getShape();
            shape[dims - 1] = dv;
            return out.reshape(shape);
        } finally {
            closeAll(iq, ik, iv, is, ir);
        }
    }

    /**
     * {@code F.gelu(x, approximate="tanh")} with libtorch's kernel; null when the module is unavailable (the caller
     * then uses the formula). The result belongs to {@code x}'s manager.
     */
    public static NDArray geluTanh(NDArray x) {
        return unary("gelu_tanh", x);
    }

    /**
     * {@code F.silu(x)} with libtorch's kernel (one pass; the formula {@code sigmoid(x) * x} takes two and a
     * temporary); null when the module is unavailable. The result belongs to {@code x}'s manager.
     */
    public static NDArray silu(NDArray x) {
        return unary("silu", x);
    }

    /**
     * {@code F.silu(x, inplace=True)}: {@code x} is overwritten by its SiLU, no memory allocated. False when the
     * module is unavailable (nothing done).
     */
    public static boolean siluInPlace(NDArray x) {
        PtSymbolBlock m = enabledModule();
        if (m == null) {
            return false;
        }
        IValue in = IValue.from((PtNDArray) x);
        try {
            call(m, "silu_", in).close();
            return true;
        } finally {
            in.close();
        }
    }

    /** A one-tensor method of the module on {@code x}, or null when the module is unavailable. */
    private static NDArray unary(String method, NDArray x) {
        PtSymbolBlock m = enabledModule();
        if (m == null) {
            return null;
        }
        IValue in = IValue.from((PtNDArray) x);
        try {
            return tensor(call(m, method, in), x);
        } finally {
            in.close();
        }
    }

    private static PtSymbolBlock enabledModule() {
        return Boolean.parseBoolean(System.getProperty("diffusers4j.torch-ops", "true")) ? module() : null;
    }

    /** Whether {@link #attention} handles this dtype/device (float32 anywhere, float16 on a GPU). */
    static boolean attentionSupports(NDArray q) {
        DataType t = q.getDataType();
        return t == DataType.FLOAT32 || (t == DataType.FLOAT16 && q.getDevice().isGpu());
    }

    /**
     * Runs a method of the module outside libtorch's inference mode. DJL's public {@code IValueUtils.runMethod}
     * runs under {@code c10::InferenceMode}, whose results cannot be updated in place afterwards, and our forwards
     * update results in place (residual adds, activations); its own JNI entry takes a training flag that skips
     * the guard (no input requires grad, so nothing is recorded either way), reached reflectively. If that entry
     * cannot be reached, the public call is used and its tensor results are cloned into normal tensors.
     */
    private static IValue call(PtSymbolBlock m, String method, IValue... args) {
        Method raw = RunMethod.METHOD;
        if (raw != null) {
            long[] handles = new long[args.length];
            for (int i = 0; i < args.length; i++) {
                handles[i] = args[i].getHandle();
            }
            try {
                long out = (long) raw.invoke(RunMethod.LIB, m.getHandle(), method, handles, true, false);
                return RunMethod.IVALUE.newInstance(out);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException(cause);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return IValueUtils.runMethod(m, method, args);
    }

    /** The reflective handles of {@link #call} (null when DJL's internals differ). */
    private static final class RunMethod {
        static final Method METHOD;
        static final Constructor<IValue> IVALUE;
        static final Object LIB;

        static {
            Method method = null;
            Constructor<IValue> ctor = null;
            Object lib = null;
            try {
                Class<?> library = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
                Field field = library.getDeclaredField("LIB");
                field.setAccessible(true);
                lib = field.get(null);
                method = library.getDeclaredMethod("moduleRunMethod", long.class, String.class, long[].class,
                        boolean.class, boolean.class);
                method.setAccessible(true);
                ctor = IValue.class.getDeclaredConstructor(long.class);
                ctor.setAccessible(true);
            } catch (ReflectiveOperationException | RuntimeException e) {
                method = null;
                ctor = null;
                lib = null;
            }
            METHOD = method;
            IVALUE = ctor;
            LIB = lib;
        }
    }

    private static NDArray tensor(IValue out, NDArray like) {
        if (RunMethod.METHOD == null) {
            // an inference tensor: copy it into a normal one that may be updated in place
            try (NDArray t = out.toTensor((PtNDManager) like.getManager())) {
                out.close();
                return t.duplicate();
            }
        }
        try {
            return out.toTensor((PtNDManager) like.getManager());
        } finally {
            out.close();
        }
    }

    private static void closeAll(IValue... values) {
        for (IValue v : values) {
            if (v != null) {
                v.close();
            }
        }
    }
}
