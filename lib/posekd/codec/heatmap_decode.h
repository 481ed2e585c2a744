#pragma once
// Heatmap decoding on plain K×h×w float buffers. Results are in heatmap pixels; CropFrame's
// heatmap_to_image() takes them back to the image (back_project).
#include <string>
#include <vector>

#include "posekd/codec/heatmap_geometry.h"

namespace posekd {

enum class HeatmapDecoder {
  argmax,          // integer location of the maximum
  quarter_offset,  // HRNet get_final_preds: +0.25·sign of the neighbour difference
  dark,            // DARK: Taylor step on the log of the Gaussian-blurred map
  dark_udp,        // mmpose post_dark_udp, the refinement used with UDP
};
HeatmapDecoder parse_heatmap_decoder(const std::string& name);  // throws UsageError
const char* to_string(HeatmapDecoder decoder);
HeatmapDecoder default_decoder(HeatmapCodec codec);

struct DecodedKeypoint {
  double x = 0, y = 0;  // heatmap pixels (or input pixels for SimCC/regression decoders)
  double score = 0;     // the map's maximum
};

struct HeatmapDecodeOptions {
  HeatmapDecoder decoder = HeatmapDecoder::dark;
  int blur_kernel = 11;  // DARK/DARK-UDP Gaussian blur size (mmpose: 11 at 64x48, 17 at 96x72)
};

// The DARK blur size for maps `heatmap_w` wide: mmpose uses 11 at 64×48 and 17 at 96×72, so
// the nearest odd size to 11·w/48, at least 3.
int default_blur_kernel(int heatmap_w);

std::vector<DecodedKeypoint> decode_heatmaps(const float* heatmaps, int num_joints, int heatmap_h, int heatmap_w,
                                             const HeatmapDecodeOptions& options);

// Heatmap-pixel keypoints -> image pixels through the inverse of frame.image_to_heatmap().
void back_project(std::vector<DecodedKeypoint>& keypoints, const CropFrame& frame);
// Maps decoded points through `to` (e.g. input -> image for SimCC and regression heads).
void apply_affine(std::vector<DecodedKeypoint>& keypoints, const Affine2D& to);

}  // namespace posekd
