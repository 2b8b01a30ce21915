# An example agency overlay: stricter local rules an agency's compliance officers may add.
#
# To use it for agency <id>, copy it to policy/rego/fr/overlays/<id>/overlay.rego and change
# the package to fr.overlays.<id>. The final decision is the baseline AND this overlay: an
# overlay can only add deny reasons; nothing it defines can turn a baseline deny into an allow.
package fr.overlays.example

import rego.v1

# METADATA
# title: No real-time identification
# description: The agency's approved FR program covers retrospective searches only.
# custom:
#   code: local_live_feed_not_approved
#   authority: Agency FR program approval (governing authority), retrospective use only.
deny contains {
	"code": "local_live_feed_not_approved",
	"message": "This agency's approved FR program does not include real-time identification.",
	"authority": "Agency FR program approval by its governing authority (retrospective use only).",
} if {
	input.probe.source == "surveillance_live_feed"
}

# METADATA
# title: Senior approval for youth-record galleries
# custom:
#   code: local_youth_gallery_needs_warrant
#   authority: Agency youth-records directive.
deny contains {
	"code": "local_youth_gallery_needs_warrant",
	"message": "Searches of galleries holding youth records need a judicial authorization here.",
	"authority": "Agency youth-records directive (stricter than YCJA Part 6 requires).",
} if {
	input.gallery.contains_youth_records != false
	not is_object(input.warrant)
}
