#pragma once
// The top-down crop (DESIGN 3.2): an instance's box -> centre/size -> one image -> input
// affine, applied to the image by one cv::warpAffine and to the keypoints by the same map.
#include <opencv2/core.hpp>

#include <vector>

#include "posekd/codec/heatmap_geometry.h"
#include "posekd/core/affine.h"
#include "posekd/data/instance.h"

namespace posekd {

// What a crop covers. HRNet's `scale` is width/200, height/200; here the sizes are pixels.
struct CropParams {
  double center_x = 0, center_y = 0;  // image pixels (pixel centres at integers)
  double width = 0, height = 0;       // image pixels spanned by the input, padding included
  double rotation = 0;                // degrees, counter-clockwise on screen (Affine2D::rotation)
  bool flip = false;                  // mirrored about the crop's vertical centre line
};

// HRNet/mmpose _box2cs: centre = (x + w/2, y + h/2); the shorter side grown to the input's
// aspect w/h; both sides × padding. MPII instances (scale > 0) use their own centre and
// scale·200, already padded by the reader as HRNet's mpii.py does, grown to the aspect and
// × padding / 1.25 (1 at the default).
CropParams crop_from_box(const Box& box, int input_w, int input_h, double padding = 1.25);
CropParams crop_from_instance(const Instance& instance, int input_w, int input_h, double padding = 1.25);

// Input-space x of the mirror line of a flipped crop: where the crop centre lands (w/2, or
// (w-1)/2 under UDP). Mirroring there equals HRNet's mirroring of the image about (W-1)/2
// followed by the crop at the mirrored centre.
double flip_axis(int input_w, CropGeometry geometry);

// image -> input. Standard (HRNet get_affine_transform): centre -> (w/2, h/2), scale
// w/width on both axes. UDP (mmpose get_warp_matrix): centre -> ((w-1)/2, (h-1)/2), scales
// (w-1)/width and (h-1)/height.
Affine2D crop_affine(const CropParams& crop, int input_w, int input_h, CropGeometry geometry);

// K×3 (x, y, v) in input pixels; when `flipped`, joint k takes the position of
// flip_index[k] so left stays left. v is kept as is.
std::vector<float> transform_keypoints(const std::vector<Keypoint>& keypoints, const Affine2D& crop, bool flipped,
                                       const std::vector<int>& flip_index);

// One bilinear cv::warpAffine, zero outside the image.
cv::Mat render_crop(const cv::Mat& image, const Affine2D& crop, int input_w, int input_h);

}  // namespace posekd
