# The panel's build stamp, in one place: run.sh rebuilds the panel (next build) when .next's stamp is not
# this one; the VM test bed (scripts/vm/) uses it to tell whether a checkout's .next is current.
#   source scripts/lib/panel-build.sh; panel_build_stamp   (in the checkout's directory)

# the commit and the state of the panel's sources ("none…" where there is no git or no repository)
panel_build_stamp() {
  local head sources
  head=$(git rev-parse HEAD 2>/dev/null || echo none)
  sources=$(git status --porcelain -- app server native/src 2>/dev/null | sha256sum | cut -c1-12)
  echo "$head$sources"
}

# true when .next holds a build of exactly these sources
panel_build_current() {
  [ -f .next/BUILD_ID ] && [ "$(cat .next/ovz-build-stamp 2>/dev/null)" = "$(panel_build_stamp)" ]
}
