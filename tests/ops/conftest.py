from tests.slack.conftest import slack, slack_factory, slack_fake  # noqa: F401 - the Slack harness fixtures
