#!/usr/bin/env bash
# Runs the committed DAGs in a real Apache Airflow 3 (standalone, SQLite), end to end on
# the embedded synthetic data, and prints every task's state:
#
#   scripts/airflow_dags_test.sh [DAG_ID ...]   (default: loan_default_training
#                                                 then loan_default_daily)
#
# Airflow gets its own virtualenv (it pins many libraries of its own), made once at
# $AIRFLOW_VENV (default: ~/.cache/loan-default/airflow-venv) with this project
# installed into it. AIRFLOW_HOME and the project's data are in a fresh temporary
# folder: the work tree's data/ is not touched. Exits non-zero if a DAG run fails.
#
# Environment: AIRFLOW_VERSION (default 3.3.2), AIRFLOW_VENV, PYTHON (default python3),
# KEEP_AIRFLOW_TMP=1 keeps the temporary folder for inspection.
set -euo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)
airflow_version=${AIRFLOW_VERSION:-3.3.2}
venv=${AIRFLOW_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/loan-default/airflow-venv}
python=${PYTHON:-python3}
dag_ids=("$@")
[ ${#dag_ids[@]} -gt 0 ] || dag_ids=(loan_default_training loan_default_daily)
export KEDRO_DISABLE_TELEMETRY=1 MPLBACKEND=Agg

# --- 1. Airflow's virtualenv, with the project in it ---
started=$SECONDS
if [ ! -x "$venv/bin/airflow" ] || [ "$("$venv/bin/airflow" version 2>/dev/null)" != "$airflow_version" ]; then
  echo "Installing apache-airflow==$airflow_version into $venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  py=$("$venv/bin/python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  # Airflow's tested pins, when the constraints file can be fetched; otherwise the
  # pinned Airflow version alone (checked to resolve with this project).
  constraints="https://raw.githubusercontent.com/apache/airflow/constraints-$airflow_version/constraints-$py.txt"
  constraints_file=$(mktemp)
  if curl --silent --fail --max-time 15 -o "$constraints_file" "$constraints"; then
    "$venv/bin/pip" install --quiet "apache-airflow==$airflow_version" --constraint "$constraints_file"
  else
    echo "Constraints file unreachable: installing apache-airflow==$airflow_version without it"
    "$venv/bin/pip" install --quiet "apache-airflow==$airflow_version"
  fi
  rm -f "$constraints_file"
fi
# The project itself as a deployment installs it, a wheel (not editable: the tasks
# must not need the source tree), without Airflow's constraints (they pin other
# versions of pandas and numpy). Its dependencies once, then this checkout's code.
if ! "$venv/bin/python" -c 'import loan_default' 2>/dev/null; then
  "$venv/bin/pip" install --quiet "$project"
fi
"$venv/bin/pip" install --quiet --no-deps --force-reinstall "$project"
"$venv/bin/pip" check
echo "Airflow virtualenv ready in $((SECONDS - started)) s"

# --- 2. A throwaway Airflow home and project data folder ---
tmp=$(mktemp -d)
if [ "${KEEP_AIRFLOW_TMP:-0}" = 1 ]; then
  echo "Keeping $tmp"
else
  trap 'rm -rf "$tmp"' EXIT
fi
export AIRFLOW_HOME=$tmp/airflow_home
export AIRFLOW__CORE__DAGS_FOLDER=$project/airflow/dags
export AIRFLOW__CORE__LOAD_EXAMPLES=False
# A test run fails at once instead of retrying a broken task five minutes later.
export LOAN_DEFAULT_TASK_RETRIES=0
# The DAGs' tasks run in this copy of the project's configuration, which also decides
# the modelling namespaces; the package is the one installed above.
export LOAN_DEFAULT_PROJECT_PATH=$tmp/project
mkdir -p "$LOAN_DEFAULT_PROJECT_PATH/src" "$LOAN_DEFAULT_PROJECT_PATH/conf/local"
cp "$project/pyproject.toml" "$project/.telemetry" "$LOAN_DEFAULT_PROJECT_PATH/"
cp -r "$project/conf/base" "$LOAN_DEFAULT_PROJECT_PATH/conf/"
for layer in 01_raw 02_intermediate 03_primary 04_feature 05_model_input 06_models \
  07_model_output 08_reporting; do
  mkdir -p "$LOAN_DEFAULT_PROJECT_PATH/data/$layer"
done

"$venv/bin/airflow" db migrate >"$tmp/db_migrate.log" 2>&1 \
  || { cat "$tmp/db_migrate.log"; exit 1; }
"$venv/bin/airflow" dags list-import-errors

# --- 3. One test run of each DAG, then its task states ---
status=0
for dag_id in "${dag_ids[@]}"; do
  log=$tmp/$dag_id.log
  started=$SECONDS
  echo "airflow dags test $dag_id (log: $log)"
  if "$venv/bin/airflow" dags test "$dag_id" >"$log" 2>&1; then
    outcome=succeeded
  else
    outcome=failed
    status=1
  fi
  # Airflow prints warnings on stdout too: pick the run by its row.
  run_id=$("$venv/bin/airflow" dags list-runs "$dag_id" --output plain 2>/dev/null \
    | awk -v dag="$dag_id" '$1 == dag { print $2; exit }')
  echo "$dag_id: $outcome in $((SECONDS - started)) s, run $run_id"
  "$venv/bin/airflow" tasks states-for-dag-run "$dag_id" "$run_id" --output plain \
    2>/dev/null | awk '$1 == "dag_id" || $1 == dag { print "  " $3, $4 }' dag="$dag_id"
  if [ "$outcome" = failed ]; then
    tail -n 60 "$log"
  fi
done
echo "Models written:"
find "$LOAN_DEFAULT_PROJECT_PATH/data/06_models" -type f | sort
exit "$status"
