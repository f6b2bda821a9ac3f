/// The browser page served at `/`: one self-contained HTML document (no external scripts, fonts or
/// styles, so it works on an offline robot). It speaks the same Foxglove WebSocket protocol as
/// Foxglove itself: JPEG frames (foxglove.CompressedImage, decoded by a few lines of protobuf
/// reading), results as JSON, and `clientPublish` for the text field. Label colours use the same
/// FNV-1a + palette as `ResultAnnotations.colour`, so the page and recordings agree.
enum ViewerPage {
    static let html = #"""
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vlmnode view</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{margin:0;font:14px system-ui,sans-serif;background:#15171a;color:#e6e6e6;display:flex;height:100vh}
#main{flex:1;display:flex;flex-direction:column;min-width:0}
#bar{padding:6px 10px;background:#202328;display:flex;gap:10px;align-items:center}
#bar select,#bar input,#bar button{background:#2b2f36;color:#e6e6e6;border:1px solid #444;border-radius:4px;padding:4px 6px}
#text{flex:1}
#stage{flex:1;display:flex;align-items:center;justify-content:center;min-height:0;background:#000}
canvas{max-width:100%;max-height:100%}
#side{width:340px;overflow:auto;background:#1b1e22;padding:8px 10px;border-left:1px solid #333}
h3{margin:10px 0 4px;font-size:13px;color:#9aa4b1;text-transform:uppercase;letter-spacing:.05em}
table{width:100%;border-collapse:collapse;font-size:12px}td,th{padding:2px 4px;text-align:right}td:first-child,th:first-child{text-align:left}
.bar{height:14px;background:#2b2f36;margin:2px 0;position:relative}.bar div{height:100%;background:#3d8bfd}
.bar span{position:absolute;left:4px;top:0;font-size:11px}
#events{font:12px monospace;white-space:pre-wrap}#status{font-size:12px;color:#9aa4b1}
</style></head><body>
<div id="main">
 <div id="bar"><b>vlmnode</b><select id="camera" title="camera topic"></select>
  <input id="target" list="targets" placeholder="topic" size="22" title="topic the text goes to">
  <datalist id="targets"></datalist>
  <input id="text" placeholder="new queries (a red cup, a blue bowl) or a command" autocomplete="off">
  <button id="send">Send</button><span id="status">connecting…</span></div>
 <div id="stage"><canvas id="view" width="640" height="480"></canvas></div>
</div>
<div id="side"><h3>Topics</h3><table id="topics"><tr><th>topic</th><th>Hz</th><th>drops</th><th>latency</th></tr></table>
<h3>Video scores</h3><div id="scores">–</div><h3>Events</h3><div id="events"></div></div>
<script>
"use strict";
const PALETTE=[[255,56,56],[50,205,50],[30,144,255],[255,178,29],[207,56,255],[0,212,187],[255,115,200],[146,204,23],[255,149,0],[72,249,255]];
function colour(label){let h=0x811c9dc5;for(const b of new TextEncoder().encode(label)){h=Math.imul(h^b,16777619)>>>0;}return PALETTE[h%PALETTE.length];}
const $=id=>document.getElementById(id);
const state=window.vlmView={frames:0,bytes:0,channels:{},subs:{},topics:{},results:{},drawn:null,latencies:[],sent:[],connected:false,status:[]};
let ws,nextSub=1,nextClientChan=1;const clientChans={};
// Protobuf reading for foxglove.CompressedImage / Timestamp: varints and length-delimited fields.
function fields(buf){const out={};let i=0;const rv=()=>{let r=0,s=1,b;do{b=buf[i++];r+=(b&127)*s;s*=128;}while(b&128);return r;};
 while(i<buf.length){const tag=rv(),f=Math.floor(tag/8),wt=tag&7;
  if(wt===0)out[f]=rv();else if(wt===2){const n=rv();out[f]=buf.subarray(i,i+n);i+=n;}else if(wt===1)i+=8;else if(wt===5)i+=4;else break;}
 return out;}
function stampNs(ts){const t=fields(ts||new Uint8Array());return (t[1]||0)*1e9+(t[2]||0);}
function topicStat(t){return state.topics[t]||(state.topics[t]={times:[],drops:null,latency:null,lastSeq:null,gaps:0});}
function connect(){
 ws=new WebSocket(`ws://${location.host}/`,["foxglove.sdk.v1","foxglove.websocket.v1"]);ws.binaryType="arraybuffer";
 ws.onopen=()=>{state.connected=true;$("status").textContent="connected ("+ws.protocol+")";};
 ws.onclose=()=>{state.connected=false;$("status").textContent="disconnected, retrying…";state.channels={};state.subs={};setTimeout(connect,1000);};
 ws.onmessage=e=>{if(typeof e.data==="string")onText(JSON.parse(e.data));else onBinary(new Uint8Array(e.data));};}
function subscribe(ch){if(Object.values(state.subs).some(s=>s.id===ch.id))return;const id=nextSub++;state.subs[id]=ch;
 ws.send(JSON.stringify({op:"subscribe",subscriptions:[{id,channelId:ch.id}]}));}
function unsubscribe(ch){for(const[k,v]of Object.entries(state.subs))if(v.id===ch.id){delete state.subs[k];ws.send(JSON.stringify({op:"unsubscribe",subscriptionIds:[+k]}));}}
function onText(m){
 if(m.op==="advertise"){for(const c of m.channels){state.channels[c.id]=c;
   if(c.schemaName==="foxglove.CompressedImage"){const o=document.createElement("option");o.value=c.topic;o.textContent=c.topic;$("camera").appendChild(o);
    if($("camera").value===c.topic)subscribe(c);}
   if(c.encoding==="json")subscribe(c);
   if(c.schemaName==="vlm/Detections"||c.schemaName==="vlm/Grounding"){const s=c.topic+(c.schemaName==="vlm/Detections"?"/queries":"/command");
    const o=document.createElement("option");o.value=s;$("targets").appendChild(o);if(!$("target").value)$("target").value=s;}}}
 else if(m.op==="unadvertise"){for(const id of m.channelIds){const c=state.channels[id];if(!c)continue;delete state.channels[id];
   for(const[k,v]of Object.entries(state.subs))if(v.id===id)delete state.subs[k];
   for(const o of [...$("camera").options])if(o.value===c.topic)o.remove();}}
 else if(m.op==="status"){state.status.push(m);$("status").textContent=m.message;}}
function onBinary(b){state.bytes+=b.length;if(b[0]!==1)return;const dv=new DataView(b.buffer,b.byteOffset);const sub=dv.getUint32(1,true);const ch=state.subs[sub];if(!ch)return;
 const payload=b.subarray(13);const st=topicStat(ch.topic);st.times.push(performance.now());
 if(ch.schemaName==="foxglove.CompressedImage")return onImage(ch,payload,st);
 if(ch.encoding==="json"){const r=JSON.parse(new TextDecoder().decode(payload));onResult(ch,r,st);}}
let decoding=false,pending=null;
function onImage(ch,payload,st){const f=fields(payload);const stamp=stampNs(f[1]);pending={data:f[2],stamp,st};if(!decoding)decodeNext();}
async function decodeNext(){if(!pending){decoding=false;return;}decoding=true;const p=pending;pending=null;
 try{const bmp=await createImageBitmap(new Blob([p.data],{type:"image/jpeg"}));draw(bmp);bmp.close();
  const lat=Date.now()-p.stamp/1e6;p.st.latency=lat;state.latencies.push(lat);if(state.latencies.length>1000)state.latencies.shift();state.frames++;}
 catch(err){$("status").textContent="bad frame: "+err;}decodeNext();}
function onResult(ch,r,st){
 if(typeof r.seq==="number"){if(st.lastSeq!==null&&r.seq>st.lastSeq+1)st.gaps+=r.seq-st.lastSeq-1;st.lastSeq=r.seq;}
 st.drops=typeof r.frames_dropped==="number"?r.frames_dropped:st.gaps;if(typeof r.latency_ms==="number")st.latency=r.latency_ms;
 state.results[ch.topic]=r;
 if(r.type==="vlm/VideoScores")drawScores(r);
 if(r.type==="vlm/VideoEvent"){const line=`${new Date().toLocaleTimeString()} ${r.edge==="start"?"▶":"■"} ${r.prompt} ${(+r.score).toFixed(2)}\n`;
  $("events").textContent=(line+$("events").textContent).split("\n").slice(0,50).join("\n");}}
function drawScores(r){const el=$("scores");el.innerHTML="";(r.prompts||[]).forEach((p,i)=>{const v=(r.probs||[])[i]||0;
 const d=document.createElement("div");d.className="bar";d.innerHTML=`<div style="width:${Math.max(0,Math.min(1,v))*100}%"></div><span></span>`;
 d.querySelector("span").textContent=`${p} ${v.toFixed(2)}`;el.appendChild(d);});}
function draw(bmp){const c=$("view"),g=c.getContext("2d");if(c.width!==bmp.width||c.height!==bmp.height){c.width=bmp.width;c.height=bmp.height;}
 g.drawImage(bmp,0,0);const drawn=[];
 for(const r of Object.values(state.results)){
  if(r.type==="vlm/Detections")for(const d of r.detections||[]){box(g,d.box,d.label,`${d.label} ${(+d.score).toFixed(2)}`);drawn.push({label:d.label,box:d.box});}
  if(r.type==="vlm/Grounding")for(const t of r.targets||[]){if(t.box)box(g,t.box,t.phrase||t.role,`${t.role}: ${t.phrase||""}`);
   if(t.point){const[x,y]=t.point;g.beginPath();g.arc(x,y,7,0,2*Math.PI);g.lineWidth=3;g.strokeStyle=t.role==="object"?"rgb(255,56,56)":"rgb(30,144,255)";g.stroke();
    drawn.push({role:t.role,point:t.point});}}}
 state.drawn=drawn;}
function box(g,b,key,text){if(!b||b.length!==4)return;const[r,gr,bl]=colour(key);const col=`rgb(${r},${gr},${bl})`;
 g.lineWidth=3;g.strokeStyle=col;g.strokeRect(b[0],b[1],b[2]-b[0],b[3]-b[1]);g.font="14px sans-serif";const w=g.measureText(text).width+6;
 g.fillStyle=col;g.fillRect(b[0],Math.max(b[1]-18,0),w,18);g.fillStyle="#fff";g.fillText(text,b[0]+3,Math.max(b[1]-4,14));}
function renderStats(){const now=performance.now();const rows=["<tr><th>topic</th><th>Hz</th><th>drops</th><th>latency</th></tr>"];
 for(const[t,s]of Object.entries(state.topics).sort()){s.times=s.times.filter(x=>now-x<2000);
  rows.push(`<tr><td>${t.replace(/</g,"&lt;")}</td><td>${(s.times.length/2).toFixed(1)}</td><td>${s.drops??"–"}</td><td>${s.latency==null?"–":s.latency.toFixed(0)+" ms"}</td></tr>`);}
 $("topics").innerHTML=rows.join("");}
setInterval(renderStats,500);
$("camera").onchange=()=>{for(const c of Object.values(state.channels))if(c.schemaName==="foxglove.CompressedImage"){if(c.topic===$("camera").value)subscribe(c);else unsubscribe(c);}};
function send(){const topic=$("target").value.trim(),text=$("text").value.trim();if(!topic||!text||!state.connected)return;
 let id=clientChans[topic];if(!id){id=clientChans[topic]=nextClientChan++;
  ws.send(JSON.stringify({op:"advertise",channels:[{id,topic,encoding:"json",schemaName:"vlm/Text"}]}));}
 const body=new TextEncoder().encode(JSON.stringify({text}));const msg=new Uint8Array(5+body.length);msg[0]=1;new DataView(msg.buffer).setUint32(1,id,true);msg.set(body,5);
 ws.send(msg);state.sent.push({topic,text});$("text").value="";}
$("send").onclick=send;$("text").onkeydown=e=>{if(e.key==="Enter")send();};
connect();
</script></body></html>
"""#
}
