#pragma once
// Ground truth of a rendered scene: each person's keypoints on the requested skeleton with
// visibility read from the renderer's buffers (2 seen, 1 hidden but inside the image, 0
// outside), the visible extent as the box, and the visible pixel count as the area.
#include <opencv2/core.hpp>

#include <array>
#include <vector>

#include "posekd/data/instance.h"
#include "posekd/data/synth_body.h"
#include "posekd/data/synth_scene.h"

namespace posekd::synth {

struct PersonLabel {
  int person = 0;                   // index into Scene::people
  std::vector<Keypoint> keypoints;  // skeleton order; x = y = 0 when v = 0
  Box box;                          // visible pixels' extent, as pycocotools' toBbox gives it
  double area = 0;                  // visible pixels
  Point2 centre;                    // MPII: the whole body's centre ...
  double scale = 0;                 // ... and its height / 200
  std::array<double, 4> headbox{};  // MPII: x1, y1, x2, y2 of the head

  int num_keypoints() const;
};

// People with no visible pixel are left out: nobody could annotate them.
// A joint is seen (v = 2) when its pixel is owned by a part of its own person that shows it
// (parts_showing), no other person or object touched that pixel afterwards, and the head's
// own geometry does not hide it (a face turned away).
std::vector<PersonLabel> label_people(const Scene& scene, const Rendered& rendered, const std::vector<BodyPoint>& points);

// CrowdPose's crowd index (Li et al. 2019, Sec. 3): the mean over people of (labelled joints
// of others inside the person's box) / (the person's own labelled joints).
double crowd_index(const std::vector<PersonLabel>& people);

}  // namespace posekd::synth
