#include "posekd/codec/heatmap_geometry.h"

#include "posekd/core/error.h"

namespace posekd {

HeatmapCodec parse_heatmap_codec(const std::string& name) {
  if (name == "hrnet") return HeatmapCodec::hrnet;
  if (name == "unbiased" || name == "dark") return HeatmapCodec::unbiased;
  if (name == "udp") return HeatmapCodec::udp;
  throw UsageError("unknown heatmap codec '" + name + "', expected one of hrnet, unbiased, udp");
}

const char* to_string(HeatmapCodec codec) {
  switch (codec) {
    case HeatmapCodec::hrnet: return "hrnet";
    case HeatmapCodec::unbiased: return "unbiased";
    case HeatmapCodec::udp: return "udp";
  }
  return "?";
}

CropGeometry crop_geometry(HeatmapCodec codec) {
  return codec == HeatmapCodec::udp ? CropGeometry::udp : CropGeometry::standard;
}

Affine2D input_to_heatmap(int input_w, int input_h, int heatmap_w, int heatmap_h, CropGeometry geometry) {
  if (input_w <= 1 || input_h <= 1 || heatmap_w <= 1 || heatmap_h <= 1)
    throw UsageError("input and heatmap sizes must be at least 2x2");
  if (geometry == CropGeometry::udp)
    return Affine2D::scaling(double(heatmap_w - 1) / (input_w - 1), double(heatmap_h - 1) / (input_h - 1));
  return Affine2D::scaling(double(heatmap_w) / input_w, double(heatmap_h) / input_h);
}

Affine2D CropFrame::image_to_heatmap() const {
  return input_to_heatmap(input_w, input_h, heatmap_w, heatmap_h, geometry).after(crop);
}

}  // namespace posekd
