"""A stock-MLflow-SDK job, run against the lab by `exec`:

    npx mlflow-authlab exec -- python examples/python/my_job.py

`exec` sets MLFLOW_TRACKING_URI (the proxy), MLFLOW_TRACKING_TOKEN (alice), MLFLOW_WORKSPACE (team-a) and, under
--tls, the CA variables: the job itself has no lab-specific code.
"""
import mlflow

mlflow.set_experiment("python-example")
with mlflow.start_run() as run:
    mlflow.log_param("lr", 0.01)
    for step, loss in enumerate([0.9, 0.5, 0.2]):
        mlflow.log_metric("loss", loss, step=step)
print(f"logged run {run.info.run_id} as {run.info.user_id}")
