// How far one decoded image is from another: maximum absolute difference and PSNR, on [0, 1] pixel values.
package io.diffusers4j.image;

/**
 * The difference between two images of the same size given as {@code [0, 1]} float pixels (diffusers'
 * {@code output_type="np"} values): the largest absolute difference of one channel value and the peak
 * signal-to-noise ratio {@code 10 log10(1 / MSE)} in dB (peak 1; infinite for identical images). Used to state
 * how far a reduced-precision render is from the float32 one.
 *
 * @param maxAbs largest |a - b| over all values
 * @param psnrDb 10 log10(1 / mean((a - b)^2)), {@code +Infinity} when equal
 */
public record ImageDifference(double maxAbs, double psnrDb) {

    /** Compares two pixel arrays of equal length; throws when they differ in length or are empty. */
    public static ImageDifference of(float[] a, float[] b) {
        if (a.length != b.length || a.length == 0) {
            throw new IllegalArgumentException("images must have the same non-zero number of values, got "
                    + a.length + " and " + b.length);
        }
        double max = 0;
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            max = Math.max(max, Math.abs(d));
            sum += d * d;
        }
        double mse = sum / a.length;
        return new ImageDifference(max, mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(1 / mse));
    }
}
