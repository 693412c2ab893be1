"""The pages of the reviews app, one module per page or group of pages.

The public names are the view functions that `reviews/urls.py` routes, taken from their
modules; this package re-exports nothing:

- `home`: the home page, which sends each role where its work is;
- `incidents`: the incident list and an incident's page, which show and filter by its review;
- `queue`: the review queue, and starting a review;
- `workspace`: the workspace and every edit in it (text sections, item lists, themes);
- `publishing`: scheduling the review meeting, and publishing;
- `report`: the published report, its Markdown download and the learning survey;
- `history`: what changed in a review, and who changed it;
- `follow_ups`: every follow-up the user may see, and updating one's status.

`common` holds what they share: finding the review the user may see or run, and answering a
workspace edit. The workspace's lists and the context its template renders are in
`reviews.workspace`.

Every edit in the workspace is a plain form POST that redirects back to its section, so it
works without JavaScript; with htmx (`HX-Request`) the same view answers with the section's
HTML instead, and the page swaps it in place. Permissions come from `reviews.rules`.
"""
