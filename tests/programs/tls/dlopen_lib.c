/* A library loaded with dlopen, with thread-local variables of its own
 * (general-dynamic model: reached through __tls_get_addr and the DTV). */
static __thread long lib_counter;
static __thread char lib_name[32] = "unnamed";
static __thread int lib_seed = 77;

long *lib_counter_addr(void) { return &lib_counter; }
long lib_bump(long by) { return lib_counter += by; }
char *lib_name_buf(void) { return lib_name; }
int lib_seed_value(void) { return lib_seed; }
