"""One item per news story: copies of a story from several feeds grouped into a Cluster."""

from digests.cluster.placement import CLUSTER_WINDOW, cluster_new_stories

__all__ = ["CLUSTER_WINDOW", "cluster_new_stories"]
