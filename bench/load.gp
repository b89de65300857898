# Throughput and p99 latency against offered load (./scripts/bench --plot PNG).
# datafile: bench_table --plot-data output (index 0: the forwarder, index 1: durable lifecycle events)
set terminal pngcairo size 1200,480 font "DejaVu Sans,10" noenhanced
set output outfile
set multiplot layout 1,2
set grid
set key top left
set xlabel "offered load (per second)"
set ylabel "achieved (per second)"
set y2label "p99 latency (ms)"
set y2tics
set ytics nomirror
set logscale y2
set title "sentiment forwarder, the seed's flow, nginx upstream"
plot datafile index 0 using 1:2 with linespoints lw 2 title "conversations/s", \
     datafile index 0 using 1:1 with lines dt 2 lc rgb "gray" title "offered", \
     datafile index 0 using 1:3 axes x1y2 with linespoints lw 2 title "p99 ms"
set title "lifecycle events, durable (outbox), signed PutEvents, canned sink"
plot datafile index 1 using 1:2 with linespoints lw 2 title "events/s", \
     datafile index 1 using 1:1 with lines dt 2 lc rgb "gray" title "offered", \
     datafile index 1 using 1:3 axes x1y2 with linespoints lw 2 title "p99 ms"
unset multiplot
