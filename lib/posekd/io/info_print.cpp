// Text and JSON renderings of a FileDescription (pose-info).
#include <fmt/format.h>

#include <cmath>

#include "posekd/io/info.h"

namespace posekd::io {
namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) out += fmt::format("\\u{:04x}", c);
        else out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string json_shape(const h5::Shape& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? "," : "") + std::to_string(shape[i]);
  return out + "]";
}

std::string json_number(double v) { return std::isfinite(v) ? fmt::format("{}", v) : "null"; }

// "key": value pairs in insertion order.
class JsonObject {
 public:
  JsonObject& raw(const std::string& key, const std::string& value) {
    text_ += (text_.empty() ? "" : ",") + json_string(key) + ":" + value;
    return *this;
  }
  JsonObject& str(const std::string& key, const std::string& value) { return raw(key, json_string(value)); }
  JsonObject& num(const std::string& key, int64_t value) { return raw(key, std::to_string(value)); }
  std::string done() const { return "{" + text_ + "}"; }

 private:
  std::string text_;
};

std::string thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

}  // namespace

std::string describe_text(const FileDescription& d) {
  std::string out = fmt::format("{}: {}, format_version {}\n", d.file, d.format, d.format_version);
  const auto line = [&](const std::string& key, const std::string& value) { out += fmt::format("  {:<14}{}\n", key, value); };
  if (!d.model_spec.empty()) line("model_spec", d.model_spec);
  if (!d.refiner_spec.empty()) line("refiner_spec", d.refiner_spec);
  if (!d.skeleton.empty()) line("skeleton", fmt::format("{} ({} joints)", d.skeleton, d.joints));
  if (d.input_size[0] > 0) line("input_size", fmt::format("{}x{} (width x height)", d.input_size[0], d.input_size[1]));
  if (d.heatmap_size[0] > 0) line("heatmap_size", fmt::format("{}x{}", d.heatmap_size[0], d.heatmap_size[1]));
  if (!d.head_type.empty()) line("head_type", d.head_type);
  if (!d.decoding.empty()) line("decoding", d.decoding);
  if (d.params) line("params", thousands(*d.params));
  if (d.gflops) line("gflops", fmt::format("{:.3f}", *d.gflops));
  if (!d.array_counts.empty()) {
    std::string counts;
    for (const auto& [group, n] : d.array_counts) counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", n, group);
    line("arrays", counts);
  }
  if (d.train)
    line("train", fmt::format("epoch {}, step {}{}", d.train->epoch, d.train->step,
                              d.train->best_metric_name.empty()
                                  ? std::string()
                                  : fmt::format(", best {} {}", d.train->best_metric_name, d.train->best_metric)));
  if (d.samples) line("samples", fmt::format("{} ({} done)", *d.samples, d.done.value_or(0)));
  if (!d.heatmaps_shape.empty()) line("heatmaps", h5::shape_text(d.heatmaps_shape) + " " + d.heatmaps_dtype);
  for (const auto& [key, value] : d.attributes) line(key, value);

  out += "  provenance\n";
  const auto prov = [&](const std::string& key, const std::string& value) { out += fmt::format("    {:<12}{}\n", key, value); };
  prov("tool", d.provenance.tool + (d.provenance.version.empty() ? "" : " " + d.provenance.version));
  prov("utc_time", d.provenance.utc_time);
  prov("argv", d.provenance.argv);
  for (const auto& [path, fingerprint] : d.provenance.inputs) prov("input", path + (fingerprint.empty() ? "" : "  " + fingerprint));
  if (!d.provenance.config.empty()) {
    out += "    config\n";
    size_t start = 0;
    while (start < d.provenance.config.size()) {
      size_t end = d.provenance.config.find('\n', start);
      if (end == std::string::npos) end = d.provenance.config.size();
      out += "      " + d.provenance.config.substr(start, end - start) + "\n";
      start = end + 1;
    }
  }

  out += "  datasets\n";
  size_t width = 0;
  for (const auto& ds : d.datasets) width = std::max(width, ds.path.size());
  for (const auto& ds : d.datasets) {
    std::string extra;
    if (!ds.chunk.empty()) extra += "  chunks " + h5::shape_text(ds.chunk);
    if (ds.deflate) extra += fmt::format("  deflate {}", ds.deflate);
    if (ds.virtual_sources) extra += fmt::format("  virtual ({} sources)", ds.virtual_sources);
    out += fmt::format("    {:<{}}  {} {}{}\n", ds.path, width, h5::shape_text(ds.shape), ds.dtype, extra);
  }
  return out;
}

std::string describe_json(const FileDescription& d) {
  JsonObject o;
  o.str("file", d.file).str("format", d.format).num("format_version", d.format_version);
  if (!d.model_spec.empty()) o.str("model_spec", d.model_spec);
  if (!d.refiner_spec.empty()) o.str("refiner_spec", d.refiner_spec);
  if (!d.skeleton.empty()) o.str("skeleton", d.skeleton).num("joints", d.joints);
  if (d.input_size[0] > 0) o.raw("input_size", json_shape({d.input_size[0], d.input_size[1]}));
  if (d.heatmap_size[0] > 0) o.raw("heatmap_size", json_shape({d.heatmap_size[0], d.heatmap_size[1]}));
  if (!d.head_type.empty()) o.str("head_type", d.head_type);
  if (!d.decoding.empty()) o.str("decoding", d.decoding);
  if (d.params) o.num("params", *d.params);
  if (d.gflops) o.raw("gflops", json_number(*d.gflops));
  if (!d.array_counts.empty()) {
    JsonObject counts;
    for (const auto& [group, n] : d.array_counts) counts.num(group, static_cast<int64_t>(n));
    o.raw("arrays", counts.done());
  }
  if (d.train) {
    JsonObject t;
    t.num("epoch", d.train->epoch).num("step", d.train->step);
    t.str("best_metric_name", d.train->best_metric_name).raw("best_metric", json_number(d.train->best_metric));
    o.raw("train", t.done());
  }
  if (d.samples) o.num("samples", *d.samples).num("done", d.done.value_or(0));
  if (!d.heatmaps_shape.empty()) o.raw("heatmaps_shape", json_shape(d.heatmaps_shape)).str("heatmaps_dtype", d.heatmaps_dtype);
  if (!d.attributes.empty()) {
    JsonObject a;
    for (const auto& [key, value] : d.attributes) a.str(key, value);
    o.raw("attributes", a.done());
  }
  JsonObject p;
  p.str("tool", d.provenance.tool).str("version", d.provenance.version).str("argv", d.provenance.argv);
  p.str("config", d.provenance.config).str("utc_time", d.provenance.utc_time);
  std::string inputs = "[";
  for (size_t i = 0; i < d.provenance.inputs.size(); ++i)
    inputs += (i ? "," : "") + JsonObject()
                                   .str("path", d.provenance.inputs[i].first)
                                   .str("fingerprint", d.provenance.inputs[i].second)
                                   .done();
  p.raw("inputs", inputs + "]");
  o.raw("provenance", p.done());
  std::string datasets = "[";
  for (size_t i = 0; i < d.datasets.size(); ++i) {
    const auto& ds = d.datasets[i];
    JsonObject j;
    j.str("path", ds.path).raw("shape", json_shape(ds.shape)).str("dtype", ds.dtype);
    j.raw("chunks", ds.chunk.empty() ? "null" : json_shape(ds.chunk)).num("deflate", ds.deflate);
    j.num("virtual_sources", static_cast<int64_t>(ds.virtual_sources));
    datasets += (i ? "," : "") + j.done();
  }
  o.raw("datasets", datasets + "]");
  return o.done();
}

}  // namespace posekd::io
