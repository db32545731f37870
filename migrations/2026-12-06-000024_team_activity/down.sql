DROP TABLE team_activity_logs;
