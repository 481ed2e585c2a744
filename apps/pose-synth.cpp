// pose-synth: render a synthetic pose dataset (man/man1/pose-synth.1).
#include <iostream>
#include <map>

#include "posekd/cli/tool.h"
#include "posekd/data/synth.h"

int main(int argc, char** argv) {
  posekd::cli::Tool tool("pose-synth", "Render a synthetic pose dataset: images plus COCO, CrowdPose or MPII annotations");
  tool.drop_common_options({"--workers", "--device"});
  CLI::App& app = tool.app();
  posekd::SynthOptions opts;
  std::string format = "coco", difficulty = "easy", size = "256x192";

  app.add_option("-o,--output", opts.output_dir, "Output directory (gets images/ and the annotation file)")
      ->required()
      ->type_name("DIR");
  app.add_option("-n,--images", opts.images, "Number of images")->capture_default_str();
  app.add_option("--split", opts.split, "train, val or test (each split draws different images)")
      ->check(CLI::IsMember({"train", "val", "test"}))
      ->capture_default_str();
  app.add_option("--format", format, "Annotation format: coco, crowdpose or mpii")
      ->check(CLI::IsMember({"coco", "crowdpose", "mpii"}))
      ->capture_default_str();
  app.add_option("--skeleton", opts.skeleton, "coco17, crowdpose14, mpii16, lsp14 or a skeleton JSON file [format's own]")
      ->type_name("NAME|FILE");
  app.add_option("--size", size, "Image size WIDTHxHEIGHT")->type_name("WxH")->capture_default_str();
  app.add_option("--annotations", opts.annotation_name, "Annotation file name inside the output directory")
      ->type_name("NAME")
      ->capture_default_str();
  app.add_option("--image-format", opts.image_format, "jpg or png")->check(CLI::IsMember({"jpg", "png"}))->capture_default_str();
  app.add_option("--jpeg-quality", opts.jpeg_quality, "JPEG quality")->check(CLI::Range(1, 100))->capture_default_str();
  app.add_option("--label-noise", opts.label_noise, "Fraction of training annotations to corrupt (train split only)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--annotator-noise", opts.annotator_noise,
                 "Move every labelled training joint by N(0, (F x OKS sigma x sqrt(area))^2) per axis, as annotators "
                 "disagree (train split only)")
      ->type_name("F")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  app.add_option("--detections", opts.detections, "Also write detector-like boxes (COCO results JSON) to FILE")
      ->type_name("FILE");
  app.add_flag("--force", opts.force, "Overwrite an existing dataset in the output directory");
  app.add_option("--difficulty", difficulty, "Preset of the scene knobs: easy, medium or hard")
      ->check(CLI::IsMember({"easy", "medium", "hard"}))
      ->capture_default_str();

  // Scene knobs: each overrides the --difficulty preset when given.
  const std::string knobs = "Scene knobs (override --difficulty)";
  int min_people = 0, max_people = 0;
  std::pair<double, double> scale_range;
  std::map<std::string, double> values;
  auto* o_min = app.add_option("--min-people", min_people, "Fewest people per image")->group(knobs);
  auto* o_max = app.add_option("--max-people", max_people, "Most people per image")->group(knobs);
  auto* o_scale = app.add_option("--scale-range", scale_range, "Person height as a fraction of the image height: LO HI")
                      ->type_name("LO HI")
                      ->group(knobs);
  const std::pair<const char*, const char*> fractions[] = {
      {"--rotation", "In-plane rotation up to +- this many degrees"},
      {"--articulation", "Range of limb angles, 0 (rest pose) to 1 (full)"},
      {"--max-overlap", "Largest IoU of two people's boxes"},
      {"--truncation", "Chance that a person is cut by the image border"},
      {"--occluders", "Chance per person of an object hiding some joints"},
      {"--clutter", "Background clutter and limb-like distractors, 0 to 3"},
      {"--lr-contrast", "Contrast of the left/right helices on the limbs, 0 to 1"},
      {"--pixel-noise", "Sensor noise, standard deviation in grey levels"}};
  std::map<std::string, CLI::Option*> value_opts;
  for (const auto& [name, help] : fractions) value_opts[name] = app.add_option(name, values[name], help)->group(knobs);

  return tool.run(argc, argv, [&] {
    opts.format = format == "mpii" ? posekd::DatasetFormat::mpii
                  : format == "crowdpose" ? posekd::DatasetFormat::crowdpose
                                          : posekd::DatasetFormat::coco;
    opts.difficulty = posekd::parse_synth_difficulty(difficulty);
    std::tie(opts.width, opts.height) = posekd::parse_image_size(size);
    opts.seed = tool.common().seed;
    opts.threads = tool.common().threads;
    auto& over = opts.overrides;
    if (o_min->count()) over.min_people = min_people;
    if (o_max->count()) over.max_people = max_people;
    if (o_scale->count()) over.scale_range = scale_range;
    std::optional<double>* targets[] = {&over.rotation, &over.max_overlap, &over.truncation, &over.occluders,
                                        &over.clutter, &over.lr_contrast, &over.pixel_noise, &over.articulation};
    const char* names[] = {"--rotation", "--max-overlap", "--truncation", "--occluders",
                           "--clutter", "--lr-contrast", "--pixel-noise", "--articulation"};
    for (int i = 0; i < 8; ++i)
      if (value_opts[names[i]]->count()) *targets[i] = values[names[i]];
    const posekd::SynthSummary summary = posekd::run_synth(opts);
    std::cout << summary.annotation_path << "\n";
  });
}
