"""Public interaction on the portal: ratings, moderated comments, data requests, the app showcase."""
