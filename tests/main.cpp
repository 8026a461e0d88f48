// The doctest runner shared by iptmode_unit_tests and iptmode_root_tests.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
