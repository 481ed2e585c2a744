#include "posekd/data/synth_labels.h"

#include <algorithm>
#include <cmath>

namespace posekd::synth {

int PersonLabel::num_keypoints() const {
  return static_cast<int>(std::count_if(keypoints.begin(), keypoints.end(), [](const Keypoint& k) { return k.v > 0; }));
}

std::vector<PersonLabel> label_people(const Scene& scene, const Rendered& rendered, const std::vector<BodyPoint>& points) {
  const cv::Mat1i& owner = rendered.owner;
  const int people = static_cast<int>(scene.people.size());
  std::vector<int> x0(people, owner.cols), y0(people, owner.rows), x1(people, -1), y1(people, -1);
  std::vector<double> area(people, 0);
  for (int y = 0; y < owner.rows; ++y) {
    const int* row = owner.ptr<int>(y);
    for (int x = 0; x < owner.cols; ++x) {
      const int p = owner_person(row[x]);
      if (p < 0) continue;
      x0[p] = std::min(x0[p], x), x1[p] = std::max(x1[p], x);
      y0[p] = std::min(y0[p], y), y1[p] = std::max(y1[p], y);
      area[p] += 1;
    }
  }

  std::vector<PersonLabel> out;
  for (int p = 0; p < people; ++p) {
    if (area[p] == 0) continue;
    const Body& body = scene.people[p];
    PersonLabel label;
    label.person = p;
    label.area = area[p];
    label.box = {static_cast<double>(x0[p]), static_cast<double>(y0[p]), static_cast<double>(x1[p] - x0[p] + 1),
                 static_cast<double>(y1[p] - y0[p] + 1)};
    for (BodyPoint point : points) {
      const Point2 at = body.points[static_cast<int>(point)];
      // The pixel whose centre is nearest; pixel centres are integer coordinates.
      const long px = std::lround(at.x), py = std::lround(at.y);
      Keypoint k;
      // Face points on the far side of the head (the eyes and nose of someone facing away,
      // the far ear of a profile) are left unlabelled, as COCO's annotators leave them: no
      // image evidence places them, unlike a limb hidden behind the torso (labelled v=1).
      const bool far_side = body.self_hidden[static_cast<int>(point)];
      if (!far_side && px >= 0 && py >= 0 && px < owner.cols && py < owner.rows) {
        const int code = owner(static_cast<int>(py), static_cast<int>(px));
        const int touched_by = owner_person(rendered.last_touch(static_cast<int>(py), static_cast<int>(px)));
        const bool seen = owner_person(code) == p && (parts_showing(point) >> owner_part(code) & 1u) && touched_by == p;
        k = {static_cast<float>(at.x), static_cast<float>(at.y), seen ? 2.0f : 1.0f};
      }
      label.keypoints.push_back(k);
    }
    const auto e = body_extent(body);
    label.centre = {0.5 * (e[0] + e[2]), 0.5 * (e[1] + e[3])};
    label.scale = (e[3] - e[1]) / 200.0;
    const double r = body.head_radius * 1.1;
    label.headbox = {body.head_centre.x - r, body.head_centre.y - r, body.head_centre.x + r, body.head_centre.y + r};
    out.push_back(std::move(label));
  }
  return out;
}

double crowd_index(const std::vector<PersonLabel>& people) {
  double sum = 0;
  int counted = 0;
  for (const auto& a : people) {
    const int own = a.num_keypoints();
    if (own == 0) continue;
    int others = 0;
    for (const auto& b : people) {
      if (&a == &b) continue;
      for (const auto& k : b.keypoints)
        if (k.v > 0 && k.x >= a.box.x && k.x <= a.box.x + a.box.w && k.y >= a.box.y && k.y <= a.box.y + a.box.h) ++others;
    }
    sum += static_cast<double>(others) / own;
    ++counted;
  }
  return counted ? sum / counted : 0.0;
}

}  // namespace posekd::synth
