#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "posekd/core/error.h"
#include "posekd/data/dataset.h"
#include "test_support.h"

using namespace posekd;

namespace {

std::string write(const test::ScratchDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.file(name);
  std::ofstream(path) << text;
  return path;
}

// K joints: x = 10 + j, y = 20 + j, v cycling 2, 1, 0 (so labelled = the joints with j % 3 != 2).
std::string keypoints(int joints, int offset = 0) {
  std::string out;
  for (int j = 0; j < joints; ++j) out += fmt::format("{}{}, {}, {}", j ? ", " : "", 10 + j + offset, 20 + j + offset, 2 - j % 3);
  return "[" + out + "]";
}

std::string coco_category(int joints) {
  std::string names;
  for (int j = 0; j < joints; ++j) names += fmt::format("{}\"j{}\"", j ? ", " : "", j);
  return fmt::format(R"({{"id": 1, "name": "person", "keypoints": [{}], "skeleton": [[1, 2], [2, 3]]}})", names);
}

std::string coco_image(int64_t id, const std::string& extra = "") {
  return fmt::format(R"({{"id": {}, "file_name": "{:06d}.jpg", "width": 640, "height": 480{}}})", id, id, extra);
}

// COCO writes "id" last; so do these annotations, so error places must still name it.
std::string coco_annotation(int64_t id, int64_t image_id, const std::string& extra = "", int joints = 17) {
  return fmt::format(R"({{"segmentation": [[1, 2, 3, 4, 5, 6]], "num_keypoints": {}, "area": 1234.5, "iscrowd": 0, )"
                     R"("keypoints": {}, "image_id": {}, "bbox": [5.5, 6.5, 100, 200], "category_id": 1{}, "id": {}}})",
                     joints - joints / 3, keypoints(joints, static_cast<int>(id)), image_id, extra, id);
}

std::string coco_file(const std::vector<std::string>& images, const std::vector<std::string>& annotations, int joints = 17) {
  return fmt::format(R"({{"info": {{"year": 2017}}, "images": [{}], "annotations": [{}], "categories": [{}]}})",
                     fmt::join(images, ", "), fmt::join(annotations, ", "), coco_category(joints));
}

std::string error_of(const std::string& path, const ReadOptions& options = {}) {
  try {
    read_dataset(path, options);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

std::string results_error_of(const std::string& path, int joints = 0) {
  try {
    read_results(path, joints);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("coco: instances in file order with ids, keypoints, boxes and resolved paths") {
  test::ScratchDir dir("coco");
  const std::string path = write(dir, "train.json",
                                 coco_file({coco_image(7), coco_image(9)},
                                           {coco_annotation(11, 9), coco_annotation(12, 7, R"(, "score": 0.5)")}));
  const Dataset d = read_dataset(path);
  CHECK(d.format == DatasetFormat::coco);
  CHECK(d.skeleton.name == "coco17");
  REQUIRE(d.images.size() == 2);
  REQUIRE(d.instances.size() == 2);
  CHECK(d.images[1].id == 9);
  CHECK(d.images[1].file_name == "000009.jpg");
  CHECK(d.images[1].path == dir.file("000009.jpg"));
  CHECK(d.images[1].width == 640);
  CHECK(d.images[1].crowd_index == -1);
  const Instance& a = d.instances[0];
  CHECK(a.sample_id == 11);
  CHECK(a.image_id == 9);
  CHECK(a.image_path == dir.file("000009.jpg"));
  REQUIRE(a.keypoints.size() == 17);
  CHECK(a.keypoints[0].x == 21);
  CHECK(a.keypoints[0].y == 31);
  CHECK(a.keypoints[0].v == 2);
  CHECK(a.keypoints[2].v == 0);
  CHECK(a.keypoints[16].x == 37);
  CHECK(a.box.x == 5.5);
  CHECK(a.box.h == 200);
  CHECK(a.area == 1234.5);
  CHECK(a.num_keypoints == 12);
  CHECK_FALSE(a.iscrowd);
  CHECK(d.instances[1].sample_id == 12);
  REQUIRE(d.categories.size() == 1);
  CHECK(d.categories[0].keypoints.size() == 17);
  CHECK(d.categories[0].skeleton[1] == std::pair<int, int>(1, 2));
  REQUIRE(d.find_image(7));
  CHECK(d.find_image(7)->file_name == "000007.jpg");
  CHECK(d.find_image(8) == nullptr);

  ReadOptions o;
  o.image_dir = "/data/coco/train2017";
  CHECK(read_dataset(path, o).instances[1].image_path == "/data/coco/train2017/000007.jpg");
}

TEST_CASE("coco: training drops crowd and keypoint-less annotations, evaluation keeps them") {
  test::ScratchDir dir("filter");
  const std::string zero = "[" + fmt::format("{}", fmt::join(std::vector<int>(51, 0), ", ")) + "]";
  const std::string crowd =
      fmt::format(R"({{"num_keypoints": 0, "area": 900, "iscrowd": 1, "keypoints": {}, "image_id": 1, "bbox": [0, 0, 30, 30], "id": 3}})", zero);
  const std::string empty =
      fmt::format(R"({{"num_keypoints": 0, "area": 50, "iscrowd": 0, "keypoints": {}, "image_id": 1, "bbox": [0, 0, 5, 10], "id": 4}})", zero);
  const std::string path = write(dir, "a.json", coco_file({coco_image(1)}, {coco_annotation(2, 1), crowd, empty, coco_annotation(5, 1)}));
  const Dataset eval = read_dataset(path);
  REQUIRE(eval.instances.size() == 4);
  CHECK(eval.instances[1].iscrowd);
  CHECK(eval.instances[1].num_keypoints == 0);
  CHECK(eval.instances[1].area == 900);
  CHECK(eval.dropped_for_training == 0);
  ReadOptions o;
  o.purpose = Purpose::training;
  const Dataset train = read_dataset(path, o);
  REQUIRE(train.instances.size() == 2);
  CHECK(train.instances[0].sample_id == 2);
  CHECK(train.instances[1].sample_id == 5);
  CHECK(train.dropped_for_training == 2);
  CHECK(train.images.size() == 1);
}

TEST_CASE("coco: num_keypoints is the file's field, or the count of labelled joints when absent") {
  test::ScratchDir dir("numkp");
  const std::string own = fmt::format(R"({{"num_keypoints": 3, "area": 1, "keypoints": {}, "image_id": 1, "bbox": [0, 0, 1, 1], "id": 1}})", keypoints(17));
  const std::string none = fmt::format(R"({{"area": 1, "keypoints": {}, "image_id": 1, "bbox": [0, 0, 1, 1], "iscrowd": true, "id": 2}})", keypoints(17));
  const Dataset d = read_dataset(write(dir, "a.json", coco_file({coco_image(1)}, {own, none})));
  CHECK(d.instances[0].num_keypoints == 3);
  CHECK(d.instances[1].num_keypoints == 12);
  CHECK(d.instances[1].iscrowd);
}

TEST_CASE("crowdpose: detected by crowdIndex or a 14-joint category; area is bbox w*h*0.53") {
  test::ScratchDir dir("crowdpose");
  const std::string path = write(dir, "crowd.json",
                                 coco_file({coco_image(1, R"(, "crowdIndex": 0.33)")}, {coco_annotation(2, 1, "", 14)}, 14));
  const Dataset d = read_dataset(path);
  CHECK(d.format == DatasetFormat::crowdpose);
  CHECK(d.skeleton.name == "crowdpose14");
  CHECK(d.images[0].crowd_index == doctest::Approx(0.33));
  REQUIRE(d.instances.size() == 1);
  CHECK(d.instances[0].keypoints.size() == 14);
  // The file says 1234.5; crowdposetools never reads it.
  CHECK(d.instances[0].area == doctest::Approx(100 * 200 * 0.53));

  // No crowdIndex, no area: the 14 joint names alone say CrowdPose.
  const std::string bare = fmt::format(R"({{"num_keypoints": 5, "keypoints": {}, "image_id": 1, "bbox": [0, 0, 10, 20], "id": 3}})", keypoints(14));
  const Dataset e = read_dataset(write(dir, "bare.json", coco_file({coco_image(1)}, {bare}, 14)));
  CHECK(e.format == DatasetFormat::crowdpose);
  CHECK(e.instances[0].area == doctest::Approx(106));
  CHECK(e.images[0].crowd_index == -1);

  // Forcing COCO on a CrowdPose file fails on the joint count, naming the place.
  ReadOptions o;
  o.format = DatasetFormat::coco;
  CHECK(error_of(path, o) == path + ":categories[0] (id 1):keypoints: expected 17 joint names (skeleton coco17), found 14");
  // Forcing CrowdPose on a COCO file fails the same way.
  const std::string coco = write(dir, "coco.json", coco_file({coco_image(1)}, {coco_annotation(2, 1)}));
  o.format = DatasetFormat::crowdpose;
  CHECK(error_of(coco, o) == coco + ":categories[0] (id 1):keypoints: expected 14 joint names (skeleton crowdpose14), found 17");
}

TEST_CASE("mpii: HRNet's centre/scale adjustment and 1-based to 0-based shift; row index as sample id") {
  test::ScratchDir dir("mpii");
  std::string joints, vis;
  for (int j = 0; j < 16; ++j) {
    joints += fmt::format("{}[{}.5, {}]", j ? ", " : "", 100 + j, 200 + j);
    vis += fmt::format("{}{}", j ? ", " : "", j == 3 ? 0 : 1);
  }
  const std::string row = fmt::format(R"("joints_vis": [{}], "joints": [{}], "scale": 2.0)", vis, joints);
  const std::string path = write(dir, "valid.json",
                                 fmt::format(R"([{{{}, "image": "a.jpg", "center": [300.0, 400.0], "headbox": [10, 20, 50, 80]}},
                                                 {{{}, "image": "b.jpg", "center": [-1, -1]}},
                                                 {{"image": "a.jpg", "center": [5, 6], "scale": 1.5}}])",
                                             row, row));
  const Dataset d = read_dataset(path);
  CHECK(d.format == DatasetFormat::mpii);
  CHECK(d.skeleton.name == "mpii16");
  REQUIRE(d.instances.size() == 3);
  REQUIRE(d.images.size() == 2);
  CHECK(d.images[1].file_name == "b.jpg");
  CHECK(d.images[1].path == dir.file("b.jpg"));
  const Instance& a = d.instances[0];
  CHECK(a.sample_id == 0);
  CHECK(a.image_id == 0);
  CHECK(a.center_x == 299);
  CHECK(a.center_y == 400 + 15 * 2.0 - 1);
  CHECK(a.scale == 2.5);
  CHECK(a.box.w == 400);
  CHECK(a.box.x == 299 - 200);
  CHECK(a.keypoints[0].x == 99.5f);
  CHECK(a.keypoints[0].y == 199);
  CHECK(a.keypoints[0].v == 1);
  CHECK(a.keypoints[3].v == 0);
  CHECK(a.num_keypoints == 15);
  CHECK(a.has_headbox);
  CHECK(a.headbox[0] == 9);
  CHECK(a.headbox[3] == 79);
  // A centre of -1 is HRNet's "unknown": no adjustment, only the shift.
  const Instance& b = d.instances[1];
  CHECK(b.sample_id == 1);
  CHECK(b.image_id == 1);
  CHECK(b.center_x == -2);
  CHECK(b.center_y == -2);
  CHECK(b.scale == 2.0);
  CHECK_FALSE(b.has_headbox);
  // HRNet's test.json rows have no joints: unlabelled people.
  const Instance& c = d.instances[2];
  CHECK(c.image_id == 0);
  CHECK(c.keypoints.size() == 16);
  CHECK(c.num_keypoints == 0);
  ReadOptions o;
  o.purpose = Purpose::training;
  CHECK(read_dataset(path, o).instances.size() == 3);
}

TEST_CASE("format detection and forcing") {
  test::ScratchDir dir("detect");
  const std::string coco = write(dir, "coco.json", coco_file({coco_image(1)}, {coco_annotation(2, 1)}));
  const std::string mpii = write(dir, "mpii.json", R"([{"image": "a.jpg", "center": [1, 2], "scale": 1}])");
  ReadOptions o;
  o.format = DatasetFormat::mpii;
  CHECK(error_of(coco, o) == coco + ": expected a JSON array at the top level (MPII layout), found an object");
  o.format = DatasetFormat::coco;
  CHECK(error_of(mpii, o) == mpii + ": expected a JSON object at the top level (coco layout), found an array");
  const std::string scalar = write(dir, "scalar.json", "42");
  CHECK(error_of(scalar) == scalar + ": expected a JSON object (COCO, CrowdPose) or array (MPII) at the top level, found 42");
  CHECK(parse_dataset_format("auto") == DatasetFormat::automatic);
  CHECK(parse_dataset_format("crowdpose") == DatasetFormat::crowdpose);
  CHECK(std::string(to_string(DatasetFormat::mpii)) == "mpii");
  CHECK_THROWS_WITH_AS(parse_dataset_format("voc"), "unknown dataset format \"voc\": expected auto, coco, crowdpose or mpii", UsageError);
  o = {};
  o.skeleton = "lsp14";
  CHECK(error_of(coco, o) == coco + ":categories[0] (id 1):keypoints: expected 14 joint names (skeleton lsp14), found 17");
}

TEST_CASE("coco: malformed input names the file, the element and the field") {
  test::ScratchDir dir("malformed");
  const std::string img = coco_image(1);
  auto check = [&](const std::string& json, const std::string& expected) {
    const std::string path = write(dir, "train.json", json);
    CAPTURE(json);
    CHECK(error_of(path) == path + expected);
  };
  const std::string short_kp =
      R"({"area": 1, "keypoints": [1, 2, 3], "image_id": 1, "bbox": [0, 0, 1, 1], "id": 4711})";
  check(coco_file({img}, {coco_annotation(1, 1), short_kp}), ":annotations[1] (id 4711):keypoints: expected 51 numbers (17 joints), found 3");
  check(coco_file({img}, {coco_annotation(1, 1), coco_annotation(1, 1)}), ":annotations[1] (id 1):id: duplicate annotation id, first at annotations[0]");
  check(coco_file({img}, {coco_annotation(1, 2)}), ":annotations[0] (id 1):image_id: no image with id 2 in images");
  check(coco_file({img}, {coco_annotation(1, 1, R"(, "category_id": 3)")}),
        ":annotations[0] (id 1):category_id: no category with id 3 in categories");
  check(coco_file({img, img}, {}), ":images[1] (id 1):id: duplicate image id, first at images[0]");
  check(coco_file({R"({"id": 1})"}, {}), ":images[0] (id 1):file_name: missing field");
  check(coco_file({R"({"id": "1", "file_name": "a.jpg"})"}, {}), ":images[0]:id: expected an integer, found \"1\"");
  check(coco_file({img}, {R"({"keypoints": [1, "x", 2], "id": 9})"}), ":annotations[0] (id 9):keypoints[1]: expected a number, found \"x\"");
  check(coco_file({img}, {R"({"keypoints": {"x": 1}, "id": 9})"}), ":annotations[0] (id 9):keypoints: expected an array of numbers, found an object");
  check(coco_file({img}, {R"({"id": 9.5})"}), ":annotations[0]:id: expected an integer, found 9.5");
  check(coco_file({img}, {R"({"image_id": 1, "keypoints": [], "bbox": [0, 0, 1, 1]})"}), ":annotations[0]:id: missing field");
  check(coco_file({img}, {R"({"id": 3, "keypoints": [], "bbox": [0, 0, 1, 1]})"}), ":annotations[0] (id 3):image_id: missing field");
  check(coco_file({img}, {R"({"id": 3, "image_id": 1, "bbox": [0, 0, 1, 1]})"}), ":annotations[0] (id 3):keypoints: missing field");
  const std::string no_bbox = fmt::format(R"({{"id": 3, "image_id": 1, "keypoints": {}, "area": 2}})", keypoints(17));
  check(coco_file({img}, {no_bbox}), ":annotations[0] (id 3):bbox: missing field");
  const std::string bad_bbox = fmt::format(R"({{"id": 3, "image_id": 1, "keypoints": {}, "area": 2, "bbox": [1, 2, 3]}})", keypoints(17));
  check(coco_file({img}, {bad_bbox}), ":annotations[0] (id 3):bbox: expected 4 numbers [x, y, w, h], found 3");
  const std::string no_area = fmt::format(R"({{"id": 3, "image_id": 1, "keypoints": {}, "bbox": [1, 2, 3, 4]}})", keypoints(17));
  check(coco_file({img}, {no_area}),
        ":annotations[0] (id 3):area: missing field (COCO evaluation needs it; CrowdPose files have none: use format crowdpose)");
  check(coco_file({img}, {coco_annotation(1, 1, R"(, "iscrowd": 2)")}), ":annotations[0] (id 1):iscrowd: expected 0, 1 or a boolean, found 2");
  check(R"({"images": []})", ":annotations: missing field (a COCO-style file has images and annotations)");
  check(R"({"annotations": []})", ":images: missing field (a COCO-style file has images and annotations)");
  check(R"({"images": {}, "annotations": []})", ":images: expected an array, found an object");
  check(R"({"images": [], "annotations": [3]})", ":annotations[0]: expected an object, found 3");
}

TEST_CASE("json syntax errors are errors, with the position when simdjson knows it") {
  test::ScratchDir dir("syntax");
  auto error = [&](const std::string& text) { return error_of(write(dir, "bad.json", text)); };
  const std::string path = dir.file("bad.json");
  CHECK(error("this is not json\nat all") ==
        path + ": expected a JSON object (COCO, CrowdPose) or array (MPII) at the top level, found this is not json...");
  CHECK(error("") == path + ": not valid JSON (Empty: no JSON found)");
  CHECK(error("{\"images\": [],\n \"annotations\": []} x").rfind(path + ": not valid JSON (", 0) == 0);
  CHECK(error(R"({"images": [], "annotations": [{"id": 1,)").rfind(path + ": not valid JSON (", 0) == 0);
  CHECK(error("{\"images\": [],\n \"annotations\": []} {}") == path + ": not valid JSON (trailing content after the top-level value) at line 2, column 21");
  CHECK(error("{\"images\": [{\"id\": 1, \"file_name\": \"a.jpg\"}],\n \"annotations\": [{\"id\": 1, \"image_id\": 1 \"x\": 2}]}") ==
        path + ":annotations[0] (id 1): not valid JSON (The JSON document has an improper structure: missing or superfluous commas, braces, "
               "missing keys, etc.) at line 2, column 42");
  const std::string missing = dir.file("absent.json");
  CHECK(error_of(missing) == missing + ": cannot open (No such file or directory)");
  CHECK(error_of(dir.path().string()) == dir.path().string() + ": is a directory, expected a JSON file");
}

TEST_CASE("mpii: malformed rows name the row index, the image and the field") {
  test::ScratchDir dir("mpii-bad");
  auto check = [&](const std::string& json, const std::string& expected) {
    const std::string path = write(dir, "valid.json", json);
    CAPTURE(json);
    CHECK(error_of(path) == path + expected);
  };
  std::string joints15, vis16;
  for (int j = 0; j < 15; ++j) joints15 += fmt::format("{}[{}, {}]", j ? ", " : "", j, j);
  for (int j = 0; j < 16; ++j) vis16 += fmt::format("{}1", j ? ", " : "");
  check(fmt::format(R"([{{"image": "a.jpg", "center": [1, 2], "scale": 1, "joints": [{}], "joints_vis": [{}]}}])", joints15, vis16),
        ":[0] (a.jpg):joints: expected 16 joints ([x, y] pairs), found 15");
  check(fmt::format(R"([{{"image": "a.jpg", "center": [1, 2], "scale": 1, "joints": [{}, [1, 2, 3]], "joints_vis": [{}]}}])", joints15, vis16),
        ":[0] (a.jpg):joints[15]: expected 2 numbers [x, y], found 3");
  check(fmt::format(R"([{{"image": "a.jpg", "center": [1, 2], "scale": 1, "joints": [{}, [1, 2]], "joints_vis": [1]}}])", joints15),
        ":[0] (a.jpg):joints_vis: expected 16 numbers (16 joints), found 1");
  check(fmt::format(R"([{{"image": "a.jpg", "center": [1, 2], "scale": 1, "joints": [{}, [1, 2]]}}])", joints15),
        ":[0] (a.jpg):joints_vis: missing field (joints and joints_vis come together)");
  check(R"([{"image": "a.jpg", "center": [1, 2], "scale": 1}, {"image": "b.jpg", "scale": 1}])", ":[1] (b.jpg):center: missing field");
  check(R"([{"image": "a.jpg", "center": [1, 2, 3], "scale": 1}])", ":[0] (a.jpg):center: expected 2 numbers [x, y], found 3");
  check(R"([{"image": "a.jpg", "center": [1, 2], "scale": "big"}])", ":[0] (a.jpg):scale: expected a number, found \"big\"");
  check(R"([{"image": "a.jpg", "center": [1, 2], "scale": 1, "headbox": [1, 2]}])", ":[0] (a.jpg):headbox: expected 4 numbers [x1, y1, x2, y2], found 2");
  check(R"([{"center": [1, 2], "scale": 1}])", ":[0]:image: missing field");
  check(R"([[1, 2]])", ":[0]: expected an object, found an array");
}

TEST_CASE("image files: missing ones are errors, or a counted skip") {
  test::ScratchDir dir("images");
  const std::string path = write(dir, "val.json", coco_file({coco_image(1), coco_image(2), coco_image(3)},
                                                            {coco_annotation(10, 1), coco_annotation(20, 2), coco_annotation(21, 2),
                                                             coco_annotation(30, 3)}));
  write(dir, "000001.jpg", "jpeg bytes");
  std::filesystem::create_directory(dir.file("000003.jpg"));
  ReadOptions o;
  CHECK(read_dataset(path, o).instances.size() == 4);  // not checked unless asked
  o.check_images = true;
  CHECK(error_of(path, o) == path + ":images[1] (id 2):file_name: image " + dir.file("000002.jpg") +
                                 " not found (No such file or directory)");
  write(dir, "000002.jpg", "jpeg bytes");
  CHECK(error_of(path, o) == path + ":images[2] (id 3):file_name: image " + dir.file("000003.jpg") + " is not a regular file");
  std::filesystem::remove(dir.file("000002.jpg"));
  o.skip_missing_images = true;
  const Dataset d = read_dataset(path, o);
  CHECK(d.skipped_missing_images == 2);
  REQUIRE(d.images.size() == 1);
  CHECK(d.images[0].id == 1);
  REQUIRE(d.instances.size() == 1);
  CHECK(d.instances[0].sample_id == 10);
  CHECK(d.find_image(2) == nullptr);

  // MPII rows name the first row that uses the image.
  const std::string mpii = write(dir, "mpii.json", R"([{"image": "000001.jpg", "center": [1, 2], "scale": 1},
                                                       {"image": "gone.jpg", "center": [1, 2], "scale": 1}])");
  o.skip_missing_images = false;
  CHECK(error_of(mpii, o) == mpii + ":[1] (gone.jpg):image: image " + dir.file("gone.jpg") + " not found (No such file or directory)");
}

TEST_CASE("results: detector boxes and keypoint predictions") {
  test::ScratchDir dir("results");
  const std::string path = write(dir, "dets.json", R"([{"bbox": [1.5, 2, 30, 40], "category_id": 1, "image_id": 785, "score": 0.99},
                                                       {"image_id": 786, "score": 0.5, "keypoints": [1, 2, 0.9, 3, 4, 0.8]}])");
  const auto r = read_results(path);
  REQUIRE(r.size() == 2);
  CHECK(r[0].has_bbox);
  CHECK(r[0].bbox.x == 1.5);
  CHECK(r[0].bbox.h == 40);
  CHECK(r[0].image_id == 785);
  CHECK(r[0].score == 0.99);
  CHECK(r[0].keypoints.empty());
  CHECK_FALSE(r[1].has_bbox);
  CHECK(r[1].category_id == 1);
  REQUIRE(r[1].keypoints.size() == 2);
  CHECK(r[1].keypoints[1].x == 3);
  CHECK(r[1].keypoints[1].v == 0.8f);
  CHECK(results_error_of(path, 17) == path + ":[1] (image_id 786):keypoints: expected 51 numbers (17 joints), found 6");
  CHECK(read_results(write(dir, "empty.json", "[]")).empty());

  auto error = [&](const std::string& text) {
    const std::string p = write(dir, "bad.json", text);
    return results_error_of(p).substr(p.size());
  };
  CHECK(error(R"({"image_id": 1})") == ": expected a JSON array of results (COCO results format), found another JSON value");
  CHECK(error(R"([{"image_id": 1, "bbox": [1, 2, 3, 4]}])") == ":[0] (image_id 1):score: missing field");
  CHECK(error(R"([{"score": 1, "bbox": [1, 2, 3, 4]}])") == ":[0]:image_id: missing field");
  CHECK(error(R"([{"image_id": 1, "score": 1}])") == ":[0] (image_id 1): expected a bbox or keypoints, found neither");
  CHECK(error(R"([{"image_id": 1, "score": 1, "bbox": [1, 2]}])") == ":[0] (image_id 1):bbox: expected 4 numbers [x, y, w, h], found 2");
  CHECK(error(R"([{"image_id": 1, "score": 1, "keypoints": [1, 2]}])") == ":[0] (image_id 1):keypoints: expected x, y, score triples, found 2 numbers");
  CHECK(error(R"([{"image_id": 1, "score": null, "bbox": [1, 2, 3, 4]}])") == ":[0] (image_id 1):score: expected a number, found null");
}

TEST_CASE("real data: COCO, CrowdPose, MPII, OCHuman and detections") {
  const std::string root = test::realdata_dir();
  if (root.empty()) {
    MESSAGE("../shared/realdata not present: real-data checks not run");
    return;
  }
  ReadOptions check;
  check.check_images = true;

  const Dataset coco = read_dataset(root + "/coco/test_coco.json", check);
  CHECK(coco.format == DatasetFormat::coco);
  CHECK(coco.images.size() == 4);
  REQUIRE(coco.instances.size() == 14);
  CHECK(coco.instances[0].sample_id == 442619);
  CHECK(coco.instances[0].image_id == 785);
  CHECK(coco.instances[0].area == 27789.11055);
  CHECK(coco.instances[0].box.x == 280.79);
  CHECK(coco.instances[0].keypoints[0].x == 367);
  CHECK(coco.instances[0].keypoints[16].y == 341);
  CHECK(coco.instances[1].keypoints[3].v == 0);
  CHECK(coco.instances[1].num_keypoints == 14);
  CHECK(coco.find_image(40083)->width == 640);
  int empty = 0;
  for (const auto& inst : coco.instances) empty += inst.num_keypoints == 0;
  CHECK(empty == 2);
  ReadOptions train;
  train.purpose = Purpose::training;
  CHECK(read_dataset(root + "/coco/test_coco.json", train).instances.size() == 12);

  const Dataset crowd = read_dataset(root + "/crowdpose/test_crowdpose.json", check);
  CHECK(crowd.format == DatasetFormat::crowdpose);
  CHECK(crowd.images.size() == 2);
  REQUIRE(crowd.instances.size() == 5);
  CHECK(crowd.images[0].crowd_index == doctest::Approx(0.33));
  CHECK(crowd.instances[0].sample_id == 123803);
  CHECK(crowd.instances[0].area == doctest::Approx(273.15 * 352.42 * 0.53));
  CHECK(crowd.instances[0].keypoints[13].x == 220);
  CHECK(crowd.instances[1].num_keypoints == 0);

  const Dataset mpii = read_dataset(root + "/mpii/test_mpii.json", check);
  const Dataset mpii_head = read_dataset(root + "/mpii/test_mpii_with_headbox.json", check);
  REQUIRE(mpii.instances.size() == 5);
  REQUIRE(mpii_head.instances.size() == 5);
  CHECK(mpii.format == DatasetFormat::mpii);
  CHECK_FALSE(mpii.instances[0].has_headbox);
  CHECK(mpii_head.instances[0].has_headbox);
  CHECK(mpii_head.instances[0].headbox[0] == doctest::Approx(913.0000113046112));
  CHECK(mpii.instances[0].keypoints[0].x == 803);
  CHECK(mpii.instances[0].keypoints[8].x == doctest::Approx(981.7591));
  CHECK(mpii.instances[0].center_x == 965);
  CHECK(mpii.instances[0].center_y == doctest::Approx(340 + 15 * 4.718488 - 1));
  CHECK(mpii.instances[0].scale == doctest::Approx(4.718488 * 1.25));
  CHECK(mpii.instances[4].sample_id == 4);
  CHECK(mpii.images[1].file_name == "052475643.jpg");

  const Dataset och = read_dataset(root + "/ochuman/test_ochuman.json", check);
  CHECK(och.format == DatasetFormat::coco);
  CHECK(och.images.size() == 3);
  REQUIRE(och.instances.size() == 5);
  CHECK(och.instances[0].area == 356725);
  CHECK(och.instances[0].keypoints[0].x == doctest::Approx(371.5701271305881));

  const auto dets = read_results(root + "/coco/test_coco_det_AP_H_56.json");
  REQUIRE(dets.size() == 118);
  CHECK(dets[0].image_id == 785);
  CHECK(dets[0].bbox.w == doctest::Approx(225.09126579259754));
  CHECK(dets[0].score == doctest::Approx(0.9999731779098511));
  CHECK(read_results(root + "/crowdpose/test_crowdpose_det_AP_40.json").size() == 6);
}
