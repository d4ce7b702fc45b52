-- jobrunner: drops-data
DROP TABLE runners;
DROP TABLE queues;
DROP TABLE jobs;
