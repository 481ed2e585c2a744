#!/usr/bin/env bash
# The paper recipes in share/posekd/pipelines: each parses (bash -n), prints its commands with
# -n, and every command it would run names a built tool, options that tool's --help lists
# and presets that exist. (Running them is the papers' full schedules; the demo pipeline and
# each tool's own test run the same tools on tiny data.)
source "$POSEKD_SOURCE_DIR/tests/cli/helpers.sh"
pipelines="$POSEKD_SOURCE_DIR/share/posekd/pipelines"

# posekd's tools (DESIGN 1). A branch may hold a recipe before the tool it runs is merged: its
# commands are then listed as unchecked, not failed; a name outside this list always fails.
known_tools=" pose-synth pose-train pose-dump-heatmaps pose-distill pose-selfdistill pose-refine-gcn pose-eval pose-info "

# The option names of a CLI11 help text (as in man_pages.sh).
help_options() {
  sed -n 's/^  \(-[^ ]*\).*/\1/p' | tr ',' '\n' | grep -E '^--?[A-Za-z0-9]'
}

recipes=0
for recipe in fpd sdp distilpose ddsr two-stage; do
  script="$pipelines/$recipe.sh"
  [ -f "$script" ] || continue
  recipes=$((recipes + 1))
  checks=$((checks + 1))
  bash -n "$script" || fail "$recipe.sh: syntax error"
  expect_status 0 bash "$script" -n -e 2 -o out-$recipe train.json val.json -- --threads 1
  cp out.txt "$recipe.commands"
  checks=$((checks + 1))
  [ "$(wc -l < "$recipe.commands")" -ge 4 ] || fail "$recipe.sh -n printed $(wc -l < "$recipe.commands") commands"
  checks=$((checks + 1))
  [ ! -e "out-$recipe" ] || fail "$recipe.sh -n wrote $(ls "out-$recipe")"
  while read -r -a words; do
    tool=${words[0]}
    checks=$((checks + 1))
    case $known_tools in
      *" $tool "*) ;;
      *) fail "$recipe.sh runs $tool, not a posekd tool"; continue ;;
    esac
    if ! command -v "$tool" > /dev/null; then
      echo "NOTE: $tool is not built here: unchecked: ${words[*]}"
      continue
    fi
    # Loading LibTorch takes a while: each tool's help once.
    [ -s "$tool.options" ] || "$tool" --help 2>&1 | help_options > "$tool.options"
    for word in "${words[@]:1}"; do
      case $word in
        -*) checks=$((checks + 1))
            grep -qx -- "$word" "$tool.options" || fail "$recipe.sh: $tool has no option $word" ;;
      esac
    done
    for ((i = 1; i < ${#words[@]}; i++)); do
      if [ "${words[i]}" = --preset ]; then
        checks=$((checks + 1))
        [ -f "$pipelines/../presets/${words[i + 1]}.toml" ] || fail "$recipe.sh: no preset ${words[i + 1]}"
      fi
    done
  done < "$recipe.commands"
  expect_status 2 bash "$script" -e 0 train.json val.json
  expect_stderr "$recipe.sh: -e: expected a positive number of epochs, found \"0\""
  expect_status 2 bash "$script" train.json
  expect_stderr "^usage: $recipe.sh "
done
checks=$((checks + 1))
[ "$recipes" -ge 1 ] || fail "no recipe found in $pipelines"
finish
