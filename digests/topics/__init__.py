"""Topics: queries people type after /topic and matching them against stories."""

from digests.topics.matching import (
    AnalyzedStory,
    StoryText,
    TopicMatch,
    analyze_story,
    match_score,
    match_story,
    query_keys,
)
from digests.topics.query import (
    MAX_TOPIC_CHARS,
    MAX_TOPICS_PER_SUBSCRIBER,
    Query,
    QueryError,
    check_new_topic,
    parse_query,
)

__all__ = [
    "MAX_TOPICS_PER_SUBSCRIBER",
    "MAX_TOPIC_CHARS",
    "AnalyzedStory",
    "Query",
    "QueryError",
    "StoryText",
    "TopicMatch",
    "analyze_story",
    "check_new_topic",
    "match_score",
    "match_story",
    "parse_query",
    "query_keys",
]
