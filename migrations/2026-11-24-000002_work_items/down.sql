DROP TABLE activity_logs;
DROP TABLE comments;
DROP TABLE tasks;
DROP TABLE projects;
