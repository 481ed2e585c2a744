#pragma once
// Where heatmap pixels sit relative to the input crop and the image (DESIGN 3.2). Pixel centres
// are integer coordinates everywhere. Two crop geometries exist because the reference code has
// two: HRNet's (box centre -> (w/2, h/2), scale w/box_w: half a pixel off the input's centre
// (w-1)/2) and UDP's (box centre -> ((w-1)/2, (h-1)/2), scale (w-1)/box_w), each with its own
// input -> heatmap scale (hm/in, or (hm-1)/(in-1) for UDP).
#include <string>

#include "posekd/core/affine.h"

namespace posekd {

// Target and decoding convention, one option with one default (DECISIONS.md, codec):
//   hrnet     Gaussian centred on the rounded integer pixel, 6σ+1 patch; quarter-offset decode
//   unbiased  float-centred Gaussian over the whole map (DARK); DARK decode (default)
//   udp       float-centred Gaussian in the 6σ+1 patch, UDP geometry; DARK-UDP decode
enum class HeatmapCodec { hrnet, unbiased, udp };
HeatmapCodec parse_heatmap_codec(const std::string& name);  // throws UsageError
const char* to_string(HeatmapCodec codec);

enum class CropGeometry { standard, udp };
CropGeometry crop_geometry(HeatmapCodec codec);

// Input (crop) space -> heatmap space.
Affine2D input_to_heatmap(int input_w, int input_h, int heatmap_w, int heatmap_h, CropGeometry geometry);

// One crop as the image -> input affine plus the sizes that give its heatmap space.
struct CropFrame {
  Affine2D crop;  // image pixels -> input pixels
  int input_w = 192, input_h = 256;
  int heatmap_w = 48, heatmap_h = 64;
  CropGeometry geometry = CropGeometry::standard;

  Affine2D image_to_heatmap() const;
  Affine2D heatmap_to_image() const { return image_to_heatmap().inverse(); }
};

}  // namespace posekd
