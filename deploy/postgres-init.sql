-- One database per service; each service migrates its own schema when it starts.
CREATE DATABASE tasksync_users;
CREATE DATABASE tasksync_rooms;
CREATE DATABASE tasksync_tasks;
