// The block-list checks diffusers' UNet2DModel and UNet2DConditionModel both make in __init__.
package io.diffusers4j.models.unet;

import java.util.Arrays;
import java.util.List;

/** {@code down_block_types}, {@code up_block_types} and {@code block_out_channels}: set, and as many of each. */
final class UNetBlockLists {
    private UNetBlockLists() {
    }

    /**
     * @return the number of blocks
     * @throws IllegalArgumentException with diffusers' message when a list is missing or the counts differ
     */
    static int check(List<String> downBlockTypes, List<String> upBlockTypes, int[] blockOutChannels) {
        if (downBlockTypes == null || upBlockTypes == null || blockOutChannels == null) {
            throw new IllegalArgumentException("down_block_types, up_block_types and block_out_channels must be set");
        }
        int n = downBlockTypes.size();
        if (n != upBlockTypes.size()) {
            throw new IllegalArgumentException(String.format("Must provide the same number of `down_block_types` as "
                    + "`up_block_types`. `down_block_types`: %s. `up_block_types`: %s.", downBlockTypes,
                    upBlockTypes));
        }
        if (blockOutChannels.length != n) {
            throw new IllegalArgumentException(String.format("Must provide the same number of `block_out_channels` "
                    + "as `down_block_types`. `block_out_channels`: %s. `down_block_types`: %s.",
                    Arrays.toString(blockOutChannels), downBlockTypes));
        }
        return n;
    }
}
