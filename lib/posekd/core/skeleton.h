#pragma once
// A keypoint layout: joint names, left/right flip pairs, the edges (bones) used for drawing,
// graph models and bone-length losses, and OKS sigmas as the reference evaluations use them.
#include <string>
#include <utility>
#include <vector>

namespace posekd {

struct Skeleton {
  std::string name;
  std::vector<std::string> joints;
  std::vector<std::pair<int, int>> flip_pairs;
  std::vector<std::pair<int, int>> edges;
  std::vector<double> sigmas;  // per joint, as in pycocotools' kpt_oks_sigmas (already /10)

  int num_joints() const { return static_cast<int>(joints.size()); }
  // index -> its mirror partner (itself for centre joints).
  std::vector<int> flip_index() const;
  int joint_index(const std::string& joint) const;  // -1 when absent

  // Throws posekd::Error naming `origin` when pairs/edges point outside the joints, a joint
  // is in two flip pairs, or the sigma count differs from the joint count.
  void validate(const std::string& origin) const;

  // "coco17", "mpii16", "crowdpose14", "lsp14".
  static const std::vector<std::string>& builtin_names();
  static const Skeleton* find_builtin(const std::string& name);  // nullptr when unknown
  // A built-in name, or the path of a skeleton JSON file (share/posekd/skeletons/ format).
  static Skeleton load(const std::string& name_or_path);
  static Skeleton from_json(const std::string& text, const std::string& origin);
  std::string to_json() const;

  bool operator==(const Skeleton& o) const;
  bool operator!=(const Skeleton& o) const { return !(*this == o); }
};

}  // namespace posekd
