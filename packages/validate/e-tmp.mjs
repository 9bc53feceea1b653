import * as echarts from 'echarts';
const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 400, height: 300 });
chart.setOption({ animation: false, title:{text:'A <b> & "q"'}, xAxis: { type: 'category', data: ['<a>', 'b&c', '"q\''] }, yAxis: { type: 'value' }, series: [{ type: 'bar', data: [1, 2, 3], label:{show:true} },
 {type:'custom', renderItem:(params, api)=>{ const p=api.coord([api.value(0), api.value(1)]); return {type:'line', shape:{x1:p[0],y1:p[1],x2:p[0],y2:p[1]+20}, style:{stroke:'#000'}}}, data:[[0,1],[1,2]]}] });
const s = chart.renderToSVGString(); chart.dispose();
console.log(s.slice(-1500)); const c2 = echarts.init(null, null, { renderer: "svg", ssr: true, width: 400, height: 300 }); c2.setOption({animation:false, xAxis:{type:"category",data:["x"]},yAxis:{},series:[{type:"bar",data:[1]}]}); console.log(c2.renderToSVGString().slice(-600));
