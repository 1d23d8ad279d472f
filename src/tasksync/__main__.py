from tasksync.cli.main import app

app(prog_name="tasksync")
