#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "posekd/core/affine.h"
#include "posekd/core/error.h"
#include "posekd/core/provenance.h"
#include "posekd/core/skeleton.h"
#include "test_support.h"

using namespace posekd;

TEST_CASE("affine: composition, inverse and flip twice") {
  const Affine2D a = Affine2D::rotation(30).then(Affine2D::scaling(2, 3)).then(Affine2D::translation(5, -7));
  const Point2 p{12.5, -3.25};
  const Point2 q = a.apply(p);
  const Point2 back = a.inverse().apply(q);
  CHECK(back.x == doctest::Approx(p.x).epsilon(1e-12));
  CHECK(back.y == doctest::Approx(p.y).epsilon(1e-12));
  CHECK(a.after(a.inverse()).approx_equal(Affine2D::identity(), 1e-12));
  const Affine2D f = Affine2D::flip_x(47.5);
  CHECK(f.after(f).approx_equal(Affine2D::identity()));
  CHECK(f.apply({0, 4}).x == doctest::Approx(95));
  CHECK_THROWS_AS(Affine2D(1, 2, 0, 2, 4, 0).inverse(), Error);
}

TEST_CASE("affine: rotation turns +x towards -y (counter-clockwise on screen)") {
  const Point2 p = Affine2D::rotation(90).apply({1, 0});
  CHECK(p.x == doctest::Approx(0).epsilon(1e-12));
  CHECK(p.y == doctest::Approx(-1));
}

TEST_CASE("skeleton: built-ins are consistent and match the reference evaluations") {
  for (const auto& name : Skeleton::builtin_names()) {
    const Skeleton* s = Skeleton::find_builtin(name);
    REQUIRE(s);
    CHECK_NOTHROW(s->validate(name));
    auto flip = s->flip_index();
    for (int i = 0; i < s->num_joints(); ++i) CHECK(flip[flip[i]] == i);
  }
  const Skeleton& coco = Skeleton::load("coco17");
  CHECK(coco.num_joints() == 17);
  CHECK(coco.sigmas[0] == doctest::Approx(0.026));
  CHECK(coco.sigmas[11] == doctest::Approx(0.107));
  CHECK(coco.flip_index()[1] == 2);
  CHECK(Skeleton::load("crowdpose14").sigmas[13] == doctest::Approx(0.079));
  CHECK(Skeleton::load("mpii16").joint_index("head_top") == 9);
  CHECK(Skeleton::load("lsp14").num_joints() == 14);
}

TEST_CASE("skeleton: shipped JSON files equal the built-ins") {
  for (const auto& name : Skeleton::builtin_names()) {
    const std::string path = test::source_dir() + "/share/posekd/skeletons/" + name + ".json";
    CAPTURE(path);
    CHECK(Skeleton::load(path) == *Skeleton::find_builtin(name));
  }
}

TEST_CASE("skeleton: JSON round trip and errors name the place") {
  const Skeleton& coco = *Skeleton::find_builtin("coco17");
  CHECK(Skeleton::from_json(coco.to_json(), "x.json") == coco);
  CHECK_THROWS_WITH(Skeleton::from_json("{", "bad.json"), doctest::Contains("bad.json: not valid JSON"));
  CHECK_THROWS_WITH(Skeleton::from_json(R"({"name":"a","joints":["x","y"],"flip_pairs":[[0,5]],"edges":[],"sigmas":[1,1]})",
                                        "s.json"),
                    doctest::Contains("s.json:flip_pairs[0]: expected two distinct joints in [0, 2), found [0, 5]"));
  CHECK_THROWS_WITH(Skeleton::from_json(R"({"name":"a","joints":["x"],"flip_pairs":[],"edges":[],"sigmas":[1,2]})", "s.json"),
                    doctest::Contains("s.json:sigmas: expected 1 values (one per joint), found 2"));
  CHECK_THROWS_WITH(Skeleton::load("no-such-skeleton"), doctest::Contains("not a built-in skeleton (coco17, mpii16"));
}

TEST_CASE("provenance: shell quoting and fingerprints") {
  CHECK(shell_quote("pose-train") == "pose-train");
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  test::ScratchDir dir("prov");
  const std::string f = dir.file("x.bin");
  std::ofstream(f) << "hello";
  const std::string fp1 = file_fingerprint(f);
  CHECK(fp1.find("size=5") == 0);
  std::ofstream(f) << "hellp";
  CHECK(file_fingerprint(f).substr(fp1.find("fnv")) != fp1.substr(fp1.find("fnv")));
  CHECK(file_fingerprint("-") == "stdin");
}
