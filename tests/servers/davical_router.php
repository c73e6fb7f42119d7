<?php
// Router for DAViCal under `php -S` (tests/servers/davical.sh): the built-in server has no
// rewrite rules, so /.well-known/caldav (and carddav) is handed to caldav.php the way the
// redirect of an Apache deployment does; DAViCal then answers 301 to /caldav.php/. A trailing
// slash (the Apple clients ask for /.well-known/caldav/) is dropped: DAViCal matches the bare
// name only.
// Everything else is served by php -S itself (caldav.php/<user>/... gets its PATH_INFO).
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if (is_string($path) && preg_match('{^/\.well-known/}', $path)) {
  $_SERVER['PATH_INFO'] = rtrim($path, '/');
  $_SERVER['SCRIPT_NAME'] = '/caldav.php';
  chdir($_SERVER['DOCUMENT_ROOT']);
  require $_SERVER['DOCUMENT_ROOT'] . '/caldav.php';
  return true;
}
return false;
