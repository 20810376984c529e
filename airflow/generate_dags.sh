#!/usr/bin/env bash
# Regenerates the committed Airflow DAGs with kedro-airflow (pip install kedro-airflow).
#   airflow/generate_dags.sh [TARGET_DIR]     (default: airflow/dags)
#
# loan_default_modelling_dag.py  DAG loan_default_training, triggered by hand:
#   data_engineering -> one task per algorithm namespace, in parallel -> reporting
# loan_default_monitoring_dag.py DAG loan_default_daily, 06:00 every day:
#   scoring -> one task per monitoring check (each persists its result)
#   -> check-act-alerts, which fails on act alerts once the evidence is written;
#   scoring and monitoring use the registry's champion (models:/loan_default@champion)
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-airflow/dags}
export KEDRO_DISABLE_TELEMETRY=1

kedro airflow create --pipelines modelling --group-by namespace \
  --jinja-file airflow/dag_template.j2 --target-dir "$target" \
  --params "dag_id=loan_default_training,upstream=data_engineering,downstream=reporting"

kedro airflow create --pipelines monitoring --group-by memory \
  --jinja-file airflow/dag_template.j2 --target-dir "$target" \
  --params "dag_id=loan_default_daily,schedule=0 6 * * *,upstream=scoring,runtime_params.monitoring.fail_on_act=true"
