/* Preloaded before libringlet.so, this library answers for one of glibc's
 * private layout descriptions (struct pthread's size, for libthread_db)
 * with a size no struct pthread has, so that ringlet's TLS self-test must
 * fail and fall back to shared TLS. */
const unsigned _thread_db_sizeof_pthread = 64;
