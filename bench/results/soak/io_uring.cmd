build/bin/chat_bench soak --minutes 30 --json --server-log bench/results/soak/io_uring.server.log -- --engine io_uring
