/* Startup of the bare-metal RISC-V firmware: global, stack and thread pointers, zeroed .bss,
 * the trap vector, then fw_main(). fw_main's return value (a0) is the exit code: the CPU model
 * ends the run when the program counter reaches _fw_exit, which picolibc's exit() also reaches
 * through _exit. */
  .section .text.init, "ax", @progbits
  .globl _start
  .type _start, @function
_start:
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  la sp, __stack_top
  la tp, __tls_base

  la t0, __zero_start
  la t1, __zero_end
1:
  bgeu t0, t1, 2f
  sw zero, 0(t0)
  addi t0, t0, 4
  j 1b
2:
  la t0, hal_trap_entry
  csrw mtvec, t0

  call fw_main
  .size _start, . - _start

  .globl _exit
  .type _exit, @function
_exit:
  .globl _fw_exit
_fw_exit:
  j _fw_exit
  .size _exit, . - _exit
