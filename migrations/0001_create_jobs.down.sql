DROP TABLE runners;
DROP TABLE queues;
DROP TABLE jobs;
