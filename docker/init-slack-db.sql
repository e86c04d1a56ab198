-- The Slack bot keeps its own database: each APScheduler job store must have exactly one scheduler.
CREATE DATABASE debate_slack OWNER debate;
