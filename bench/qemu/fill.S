/* A multiboot "kernel" for the 512 MiB save/restore benchmark: fills guest RAM from 2 MiB to
 * its end with xorshift32 output (seeded from the TSC: no zero pages, nothing to compress),
 * then writes "D" to COM1 and halts. Loaded by QEMU's -kernel (the multiboot a.out kludge:
 * a flat binary at 1 MiB). Build: as --32 fill.S -o fill.o && ld -m elf_i386 -Ttext=0x100000
 * --oformat binary fill.o -o fill.bin */
        .code32
        .text
        .globl _start
_start:
hdr:
        .long 0x1BADB002                        /* magic */
        .long 0x00010002                        /* flags: memory info, load addresses below */
        .long -(0x1BADB002 + 0x00010002)        /* checksum */
        .long hdr                               /* header_addr */
        .long hdr                               /* load_addr */
        .long 0                                 /* load_end_addr: the whole file */
        .long 0                                 /* bss_end_addr: none */
        .long entry                             /* entry_addr */
entry:
        cld
        movl 8(%ebx), %ecx                      /* mem_upper, KiB above 1 MiB */
        shll $10, %ecx
        addl $0x100000, %ecx                    /* end of RAM */
        movl $0x200000, %edi
        rdtsc
        orl $1, %eax
1:      movl %eax, %edx
        shll $13, %edx
        xorl %edx, %eax
        movl %eax, %edx
        shrl $17, %edx
        xorl %edx, %eax
        movl %eax, %edx
        shll $5, %edx
        xorl %edx, %eax
        stosl
        cmpl %ecx, %edi
        jb 1b
        movw $0x3f8, %dx
        movb $'D', %al
        outb %al, %dx
        movb $'\n', %al
        outb %al, %dx
2:      cli
        hlt
        jmp 2b
