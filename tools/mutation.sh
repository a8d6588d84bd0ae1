#!/usr/bin/env bash
# Mutation testing (mutmut 3, in the `dev` extra) of every function that computes a number a user reads or a decision the
# study takes (SCOPE below): the objectives, the ranking, the results files, the budget, the health metrics and diagnoses,
# checkpoints and resuming, configuration validation, the final model and its reads of the test split, and the parts of a
# trial and a study that decide its state and its reason. The tests are those modules' notebook test cells, run against the
# mutated package by tests/mutation_notebooks.py; mutmut's settings are `[tool.mutmut]` in pyproject.toml.
#
# Usage, from anywhere, in the dev venv (`pip install -e ".[dev]"`; this script installs nothing):
#   tools/mutation.sh            # fresh run: deletes mutants/, tests every mutant in SCOPE, prints the score
#   tools/mutation.sh --resume   # keep mutants/ and the verdicts it holds (mutmut re-tests what it finds stale)
#   tools/mutation.sh --score    # only print the score and survivors of the last run
#   tools/mutation.sh --changed [BASE]  # the functions in SCOPE that changed since BASE (CI): fails below 85%, at most 10 minutes
#   tools/mutation.sh GLOB...    # (re-)test only the mutants matching GLOB (e.g. 'hpo_kit.search.objectives.x_blend*'), then score
# BASE: $MUTATION_BASE, else the merge base with origin/main when there is one and it is not HEAD, else HEAD~1.
# Environment: MUTATION_JOBS parallel mutant workers (default 2); mutmut runs under `nice -n 10`.
# Afterwards `mutmut show NAME` prints a mutant as a diff, `mutmut browse` browses them.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v mutmut >/dev/null || { echo "mutmut not found: activate the dev venv (pip install -e '.[dev]')" >&2; exit 2; }

# Mutants are named <module>.x_<function>__mutmut_<n> (methods: <module>.xǁ<Class>ǁ<method>__mutmut_<n>).
SCOPE=(
  'hpo_kit.config.params.*' 'hpo_kit.config.study_config.*'               # every check of an option and of a space
  'hpo_kit.search.objectives.*' 'hpo_kit.search.ranking.*'                 # objective values, what counts, the best trial
  'hpo_kit.search.results.*' 'hpo_kit.search.budget.*'                     # trials.csv, summary.json, best files; the budget
  'hpo_kit.health.metrics.*' 'hpo_kit.health.diagnosis.*'                  # the six metrics, overall health, findings, health stops
  'hpo_kit.training.checkpoint.*' 'hpo_kit.training.final.*'               # checkpoints and restore; the final model, test reads
  'hpo_kit.training.callbacks.*'                                           # a trial's stop reasons, pruning, what it learned
  'hpo_kit.study.trial.x_skip__*' 'hpo_kit.study.trial.x_sample__*' 'hpo_kit.study.trial.x_score__*'
  'hpo_kit.study.trial.x__record_failure__*' 'hpo_kit.study.trial.x__interrupted__*' 'hpo_kit.study.trial.xǁSearchǁ*'
  'hpo_kit.study.run.x__check_streaks__*'                                  # a study stopped by a run of bad trials
)
LIMIT_SECONDS=${MUTATION_LIMIT:-570}  # --changed: stop testing after this long, and score what was tested
CHANGED_FLOOR=85

score() {  # print the score over the names matching the globs in "$@"; exit status 3 when below $FLOOR (if set)
  mutmut results --all true | python -c '
import fnmatch, os, sys, collections
scope = sys.argv[1:]
status = {}
for line in sys.stdin:
    name, _, st = line.strip().rpartition(": ")
    if name and any(fnmatch.fnmatchcase(name, g) for g in scope): status[name] = st
tested = {k: v for k, v in status.items() if v != "not checked"}
n = collections.Counter(tested.values()); total = len(tested)
killed = n["killed"]
others = ", ".join(f"{k} {v}" for k, v in sorted(n.items()) if k != "killed") or "no others"
pct = 100 * killed / max(total, 1)
print(f"mutation score: {killed} killed / {total} mutants tested = {pct:.1f}% ({others})")
if len(status) > total: print(f"({len(status) - total} mutants in scope not tested in this run)")
print("not killed:")
for name, st in sorted(tested.items()):
    if st != "killed": print(f"  {name}: {st}")
floor = os.environ.get("FLOOR")
sys.exit(3 if floor and total and pct < float(floor) else 0)
' "$@"
}

mode="${1:-}"
if [ "$mode" = "--score" ]; then score "${SCOPE[@]}"; exit 0; fi
if [ "$mode" = "--changed" ]; then
  base="${2:-${MUTATION_BASE:-}}"
  if [ -z "$base" ]; then
    base=$(git merge-base HEAD origin/main 2>/dev/null || true)
    if [ -z "$base" ] || [ "$base" = "$(git rev-parse HEAD)" ]; then base=$(git rev-parse -q --verify HEAD~1 || true); fi
  fi
  if [ -z "$base" ]; then echo "mutation testing of changed functions: no earlier commit to compare with (a shallow clone?); nothing to test"; exit 0; fi
  mapfile -t touched < <(python tools/changed_functions.py "$base" | python -c '
import fnmatch, sys
scope = sys.argv[1:]
for line in sys.stdin:
    g = line.strip()
    if any(fnmatch.fnmatchcase(g.replace("*", "1"), s) for s in scope): print(g)
' "${SCOPE[@]}")
  echo "mutation testing of the functions in scope changed since $(git rev-parse --short "$base"): ${#touched[@]}"
  if [ "${#touched[@]}" -eq 0 ]; then echo "nothing to test"; exit 0; fi
  rm -rf mutants
  start=$(date +%s)
  timeout "$LIMIT_SECONDS" nice -n 10 mutmut run --max-children "${MUTATION_JOBS:-2}" "${touched[@]}" > /tmp/mutmut-changed.log 2>&1 || true
  echo "mutation run took $(( $(date +%s) - start )) s (limit $LIMIT_SECONDS s)"
  FLOOR=$CHANGED_FLOOR score "${touched[@]}"
  exit $?
fi

targets=("${SCOPE[@]}")
if [ -n "$mode" ] && [ "$mode" != "--resume" ]; then targets=("$@"); else [ "$mode" = "--resume" ] || rm -rf mutants; fi
start=$(date +%s)
nice -n 10 mutmut run --max-children "${MUTATION_JOBS:-2}" "${targets[@]}" || true  # non-zero when mutants survive
echo "mutation run took $(( $(date +%s) - start )) s"
score "${SCOPE[@]}"
