"""Drives the lab's MLflow with the stock MLflow Python client, as a user would (issue 3, "Done when").

Prints one JSON object with what it read back; the vitest e2e test asserts on it.
Environment: MLFLOW_TRACKING_URI (the lab's MLflow URL) and MLFLOW_WORKSPACE=team-a.
"""

import json
import os

import mlflow
from mlflow import MlflowClient

mlflow.set_experiment("stock-client")
with mlflow.start_run(run_name="python-run") as run:
    mlflow.log_params({"lr": 0.01, "epochs": 3})
    for step, loss in enumerate([0.9, 0.5, 0.2]):
        mlflow.log_metric("loss", loss, step=step)
    mlflow.log_text("hello from python\n", "notes/hello.txt")
    mlflow.log_dict({"a": 1}, "config/cfg.json")
    mlflow.log_text("flavors: {}\n", "model/MLmodel")
run_id = run.info.run_id

client = MlflowClient()
found = client.search_runs([run.info.experiment_id], "params.lr = '0.01'")
history = client.get_metric_history(run_id, "loss")
text = mlflow.artifacts.load_text(f"runs:/{run_id}/notes/hello.txt")
client.create_registered_model("stock-model", description="from the stock client")
version = client.create_model_version("stock-model", f"runs:/{run_id}/model", run_id=run_id)
client.set_registered_model_alias("stock-model", "champion", version.version)
by_alias = client.get_model_version_by_alias("stock-model", "champion")

print(
    json.dumps(
        {
            "workspace": os.environ.get("MLFLOW_WORKSPACE"),
            "artifact_uri": run.info.artifact_uri,
            "status": client.get_run(run_id).info.status,
            "params": client.get_run(run_id).data.params,
            "found": [r.info.run_id == run_id for r in found],
            "history": [[m.step, m.value] for m in history],
            "text": text,
            "version": version.version,
            "alias_version": by_alias.version,
        }
    )
)
