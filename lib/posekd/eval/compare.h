#pragma once
// pose-eval with several predictions files: the same metrics for each model, side by side, as
// a table, CSV or JSON, and as figures (curves overlaid, a bar chart of the headline numbers).
#include <ostream>
#include <string>
#include <vector>

#include "posekd/eval/run_eval.h"

namespace posekd {

// The label a predictions file gets without --label: its name without the folder and without
// the suffixes posekd's tools write (".preds.json", ".results.json", ".hm.h5", ".json", ".h5").
std::string default_label(const std::string& path);

// Per metric family: its title, then a row per model with the summary values as columns.
void write_comparison_table(const std::vector<ModelEvaluation>& models, std::ostream& out);
// model,metric,section,name,column,value: write_csv's rows with the model's label in front.
void write_comparison_csv(const std::vector<ModelEvaluation>& models, bool per_joint, std::ostream& out);
// {"ground_truth": ..., "models": [write_json's object of each model, with its "label"]}.
void write_comparison_json(const std::vector<ModelEvaluation>& models, bool per_joint, std::ostream& out);

// One panel per metric family, each model's main curve (PCK against threshold, AP against OKS
// threshold) in its own colour.
void write_comparison_plot(const std::vector<ModelEvaluation>& models, const std::string& path);
// One panel per metric family: a bar per model of the family's headline number (its first
// summary value: AP, PCKh Mean, PCK), the value written above the bar.
void write_bar_chart(const std::vector<ModelEvaluation>& models, const std::string& path);

}  // namespace posekd
