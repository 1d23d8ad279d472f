from tasksync.cli.entry import main

main()
