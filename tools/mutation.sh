#!/usr/bin/env bash
# Mutation testing (mutmut 3, in the `dev` extra; not run in CI) of the code that computes reported numbers and
# validates the configuration: objectives, results, checkpoint/resume, config, diagnosis (SCOPE below).
# The tests are those modules' notebook test cells, run against the mutated package by tests/mutation_notebooks.py;
# mutmut's settings are `[tool.mutmut]` in pyproject.toml. The score and the survivors are in the README.
#
# Usage, from anywhere, in the dev venv (`pip install -e ".[dev]"`; this script installs nothing):
#   tools/mutation.sh            # fresh run: deletes mutants/, tests every mutant in SCOPE, prints the score
#   tools/mutation.sh --resume   # keep mutants/ and the verdicts it holds (mutmut re-tests what it finds stale)
#   tools/mutation.sh --score    # only print the score and survivors of the last run
#   tools/mutation.sh GLOB...    # (re-)test only the mutants matching GLOB (e.g. 'hpo_kit.objectives.x_blend*'), then score
# Environment: MUTATION_JOBS parallel mutant workers (default 1); mutmut runs under `nice -n 10`.
# Afterwards `mutmut show NAME` prints a mutant as a diff, `mutmut browse` browses them.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v mutmut >/dev/null || { echo "mutmut not found: activate the dev venv (pip install -e '.[dev]')" >&2; exit 2; }

# Mutants are named <module>.x_<function>__mutmut_<n> (methods: <module>.xǁ<Class>ǁ<method>__mutmut_<n>).
SCOPE=(
  'hpo_kit.objectives.*'                                   # every objective value, epoch value and health blend
  'hpo_kit.results.x__fmt__*' 'hpo_kit.results.x__json_safe__*' 'hpo_kit.results.x__num__*'
  'hpo_kit.results.x_is_interrupted__*' 'hpo_kit.results.x_is_skipped__*' 'hpo_kit.results.x_counts__*'
  'hpo_kit.results.x_trial_rows__*' 'hpo_kit.results.x_ranked_trials__*' 'hpo_kit.results.x_best_trial__*'
  'hpo_kit.results.x_pareto_front__*'
  'hpo_kit.checkpoint.x_backup_dir__*' 'hpo_kit.checkpoint.x_latest_checkpoint__*' 'hpo_kit.checkpoint.x__floats__*'
  'hpo_kit.checkpoint.xǁEarlyStopǁ*'
  'hpo_kit.config.xǁStudyConfigǁ*' 'hpo_kit.config.x_mask_secret__*' 'hpo_kit.config.x__choice__*' 'hpo_kit.config.x__number__*'
  'hpo_kit.config.x__validate_dataset__*' 'hpo_kit.config.x__validate_weights__*' 'hpo_kit.config.x__validate_objectives__*'
  'hpo_kit.config.x__validate__*'
  'hpo_kit.diagnosis.x_health_stop_reason__*' 'hpo_kit.diagnosis.x__usual_lr__*' 'hpo_kit.diagnosis.x__recurrent__*'
  'hpo_kit.diagnosis.x__size__*'
)

mode="${1:-}"
if [ "$mode" != "--score" ]; then
  targets=("${SCOPE[@]}")
  if [ -n "$mode" ] && [ "$mode" != "--resume" ]; then targets=("$@"); else [ "$mode" = "--resume" ] || rm -rf mutants; fi
  start=$(date +%s)
  nice -n 10 mutmut run --max-children "${MUTATION_JOBS:-1}" "${targets[@]}" || true  # non-zero when mutants survive
  echo "mutation run took $(( $(date +%s) - start )) s"
fi

mutmut results --all true | python -c '
import fnmatch, sys, collections
scope = sys.argv[1:]
status = {}
for line in sys.stdin:
    name, _, st = line.strip().rpartition(": ")
    if name and any(fnmatch.fnmatchcase(name, g) for g in scope): status[name] = st
n = collections.Counter(status.values()); total = len(status)
killed = n["killed"]; others = ", ".join(f"{k} {v}" for k, v in sorted(n.items()) if k != "killed")
print(f"mutation score: {killed} killed / {total} mutants in scope = {100 * killed / max(total, 1):.1f}% ({others})")
print("not killed:")
for name, st in sorted(status.items()):
    if st != "killed": print(f"  {name}: {st}")
' "${SCOPE[@]}"
