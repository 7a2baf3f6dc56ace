# Chart for docs/benchmarks.png, drawn by benches/stack/report.py:
#   gnuplot -e 'datafile="chart.dat"; outfile="docs/benchmarks.png"; subtitle="..."' chart.gp
# chart.dat columns: idx "label" cpu_med cpu_min cpu_max rps_med rps_min rps_max auth_cpu auth_p25 auth_p75
set terminal pngcairo size 1950,600 font "DejaVu Sans,11"
set datafile missing "?"
set output outfile
set multiplot layout 1,3 title "WP OAuth stack benchmark: ".subtitle font ",12"
set style fill solid 0.6 border -1
set boxwidth 0.6
set grid ytics
set xtics rotate by -30 nomirror
set key off
set yrange [0:*]
set title "php-fpm CPU per request (ms), median and min–max over rounds"
plot datafile using 1:3:xtic(2) with boxes lc rgb "#3b6ea8", \
     '' using 1:3:4:5 with yerrorbars lc rgb "black" pt 0 lw 1.5, \
     '' using 1:3:(sprintf("%.2f",$3)) with labels offset 0,1.2 font ",9"
set title "requests per second, median and min–max over rounds"
plot datafile using 1:6:xtic(2) with boxes lc rgb "#6aa84f", \
     '' using 1:6:7:8 with yerrorbars lc rgb "black" pt 0 lw 1.5, \
     '' using 1:6:(sprintf("%.1f",$6)) with labels offset 0,1.2 font ",9"
set title "CPU inside the authentication filters (ms, profile), median and p25–p75"
plot datafile using 1:9:xtic(2) with boxes lc rgb "#c27c0e", \
     '' using 1:9:10:11 with yerrorbars lc rgb "black" pt 0 lw 1.5, \
     '' using 1:9:(sprintf("%.2f",$9)) with labels offset 0,1.2 font ",9"
unset multiplot
