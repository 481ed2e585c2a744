#!/usr/bin/env bash
# The manuals agree with the tools (STYLE 8): every built tool has man/man1/TOOL.1, every page
# renders with `man -l` without a groff warning, and every option TOOL --help lists, long and
# short forms, appears in the rendered page. The section-5 format pages render too.
source "$POSEKD_SOURCE_DIR/tests/cli/helpers.sh"
man_dir="$POSEKD_SOURCE_DIR/man"

# render PAGE: the page as plain text on stdout, groff's complaints in render-err.txt. No
# hyphenation (-rHY=0) and wide lines, so that an option name is never split across two lines.
if command -v man > /dev/null; then
  render() { MANROFFOPT=-rHY=0 MANWIDTH=250 LC_ALL=C.UTF-8 man --warnings -E ascii -l "$1" 2> render-err.txt | col -b; }
else
  echo "man not found: rendering with groff -man"
  render() { LC_ALL=C.UTF-8 groff -man -Tascii -ww -rHY=0 -rLL=250n "$1" 2> render-err.txt | col -b; }
fi

# The option names of a CLI11 help text: each option line starts with its names, comma
# separated ("-o,--output FILE ...", "--seed UINT=0 ...").
help_options() {
  sed -n 's/^  \(-[^ ]*\).*/\1/p' | tr ',' '\n' | grep -E '^--?[A-Za-z0-9]'
}

tools=0
for tool in "$POSEKD_BINARY_DIR"/bin/pose-*; do
  name=$(basename "$tool")
  page="$man_dir/man1/$name.1"
  tools=$((tools + 1))
  checks=$((checks + 1))
  if [ ! -f "$page" ]; then
    fail "$name: no man page man/man1/$name.1"
    continue
  fi
  render "$page" > "$name.txt"
  checks=$((checks + 2))
  [ -s "$name.txt" ] && grep -q "^NAME" "$name.txt" || fail "$name.1: man -l rendered no NAME section"
  [ ! -s render-err.txt ] || fail "$name.1: $(head -3 render-err.txt | tr '\n' ' ')"
  "$tool" --help > "$name.help" 2>&1 || { fail "$name --help exited $?"; continue; }
  options=$(help_options < "$name.help")
  checks=$((checks + 1))
  [ -n "$options" ] || fail "$name --help: no options found in: $(head -3 "$name.help")"
  missing=""
  for option in $options; do
    grep -Eq -- "(^|[^A-Za-z0-9-])$option([^A-Za-z0-9-]|$)" "$name.txt" || missing="$missing $option"
  done
  checks=$((checks + 1))
  [ -z "$missing" ] || fail "$name.1 does not mention$missing (listed by $name --help)"
done
checks=$((checks + 1))
[ "$tools" -ge 5 ] || fail "expected the tools in $POSEKD_BINARY_DIR/bin, found $tools"

for page in "$man_dir"/man5/*.5; do
  render "$page" > page.txt
  checks=$((checks + 2))
  grep -q "^NAME" page.txt || fail "$(basename "$page"): man -l rendered no NAME section"
  [ ! -s render-err.txt ] || fail "$(basename "$page"): $(head -3 render-err.txt | tr '\n' ' ')"
done
checks=$((checks + 1))
[ -f "$man_dir/man5/posekd-checkpoint.5" ] && [ -f "$man_dir/man5/posekd-heatmaps.5" ] ||
  fail "missing a format page: $(ls "$man_dir/man5")"
finish
