DROP TABLE webhooks;
DROP TABLE notifications;
DROP TABLE jobs;
