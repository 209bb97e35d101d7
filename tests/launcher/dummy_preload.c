/* An empty shared library: a user's own LD_PRELOAD entry, or a stand-in
 * for libringlet.so where the test only needs a library to exist. */
int ringlet_test_dummy_preload;
