import Foundation
import Testing
import VLMLaunch

/// `LaunchGraph.modelUses`: the models a graph's nodes load, from params of kind `.model`: the
/// value in the file, else the node type's default (what `vlmnode models pull --for` fetches).
@Suite struct LaunchModelUseTests {
    @Test func valuesAndDefaultsOfModelParams() throws {
        let files = try LaunchFiles(["main.launch": """
            <launch>
              <node name="cam" type="source"><param name="input" value="lavfi:testsrc"/></node>
              <node name="det" type="detect"><param name="queries" value="cup"/></node>
              <node name="vid" type="video"><param name="prompts" value="a, b"/><param name="model" value="xclip"/></node>
              <node name="gr" type="ground"><param name="segmenter" value="/models/clipseg"/></node>
              <node name="ctl" type="exec" args="true"><input name="d" topic="detections" type="vlm/Detections"/></node>
            </launch>
            """])
        let uses = try files.load().modelUses
        #expect(uses.map { "\($0.node) \($0.param) \($0.model)" } == [
            "/det model google/owlvit-base-patch32",
            "/vid model xclip",
            "/gr detector google/owlvit-base-patch32",
            "/gr segmenter /models/clipseg",
        ])
    }

    @Test func aModelParamMustBeText() throws {
        let files = try LaunchFiles(["main.launch": """
            <launch>
              <node name="det" type="detect"><param name="queries" value="cup"/><param name="model" value="3"/></node>
              <node name="cam" type="source"><param name="input" value="lavfi:testsrc"/></node>
            </launch>
            """])
        #expect(files.errorText() == "DIR/main.launch:2: node '/det': param 'model' must be model name, got int \"3\"")
    }
}
