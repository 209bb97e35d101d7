/* Fiber context switch for x86-64 System V.
 *
 * Saves what the ABI says a callee must preserve: rbx, rbp, r12-r15, the
 * stack pointer, the MXCSR control/status register and the x87 control word
 * (both hold the program's rounding and exception-mask choices, which are
 * per thread natively and therefore per fiber here). Everything else is
 * caller-saved and already spilled by the compiler around the call.
 *
 * void* ringlet_ctx_switch(void** save_sp, void* load_sp, void* arg)
 *   Pushes the callee-saved state on the current stack, stores the stack
 *   pointer in *save_sp, switches to load_sp, pops the state saved there and
 *   returns `arg` to the code that resumes (in rax).
 *
 * A new context is prepared by ringlet_ctx_make (context.cpp): its saved
 * frame "returns" into ringlet_ctx_entry, which passes the resuming arg and
 * the value placed in r12 to the C++ entry function kept in r13.
 */
	.text
	.globl	ringlet_ctx_switch
	.hidden	ringlet_ctx_switch
	.type	ringlet_ctx_switch, @function
	.p2align 4
ringlet_ctx_switch:
	.cfi_startproc
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	movq	%rdx, %rax
	ret
	.cfi_endproc
	.size	ringlet_ctx_switch, .-ringlet_ctx_switch

/* First code a new fiber runs. rax = arg given to the switch that started
 * it, r12 = the fiber's own argument, r13 = entry function
 * void entry(void* self_arg, void* from_arg). The return address is
 * undefined so that unwinders (gdb, libunwind, _Unwind_ForcedUnwind) stop
 * here: this is the outermost frame of every fiber. */
	.globl	ringlet_ctx_entry
	.hidden	ringlet_ctx_entry
	.type	ringlet_ctx_entry, @function
	.p2align 4
ringlet_ctx_entry:
	.cfi_startproc
	.cfi_undefined rip
	xorl	%ebp, %ebp
	movq	%r12, %rdi
	movq	%rax, %rsi
	call	*%r13
	ud2
	.cfi_endproc
	.size	ringlet_ctx_entry, .-ringlet_ctx_entry

	.section .note.GNU-stack,"",@progbits
